using System.Text.Json;

namespace Pipeliner.TestSupport;

/// <summary>The runtime settings a referenced program was built with: its <c>*.runtimeconfig.json</c>, copied beside the tests.</summary>
public static class RuntimeConfig
{
    /// <summary>The <c>configProperties</c> of <paramref name="fileName"/> in the test's output directory.</summary>
    public static JsonElement PropertiesOf(string fileName)
    {
        var path = Path.Combine(AppContext.BaseDirectory, fileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} is missing: the test project must reference the program that makes it", path);

        using var config = JsonDocument.Parse(File.ReadAllText(path));
        return config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").Clone();
    }
}
