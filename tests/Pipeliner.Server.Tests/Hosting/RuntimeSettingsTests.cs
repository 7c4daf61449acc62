using System.Text.Json;

namespace Pipeliner.Server.Tests.Hosting;

/// <summary>
/// The runtime settings the built server starts with (its <c>Pipeliner.Server.runtimeconfig.json</c>, copied beside the
/// tests by the project reference; docs/operations.md, "Runtime settings (memory and CPU)").
/// </summary>
public sealed class RuntimeSettingsTests
{
    [Fact]
    public void RuntimeConfig_MakesServicesWithoutCompilingResolvers_WhenTheServerIsBuilt()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Pipeliner.Server.runtimeconfig.json");
        Assert.True(File.Exists(path), $"{path} is missing: the test project must reference Pipeliner.Server");

        using var config = JsonDocument.Parse(File.ReadAllText(path));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        // The container's IL-emitted resolvers were compiled (optimizing JIT, no tiers) while a fresh server answered its first webhooks.
        Assert.True(properties.GetProperty("Microsoft.Extensions.DependencyInjection.DisableDynamicEngine").GetBoolean());
        Assert.False(properties.GetProperty("System.Runtime.TieredCompilation").GetBoolean());
    }
}
