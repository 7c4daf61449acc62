using Pipeliner.TestSupport;

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
        var properties = RuntimeConfig.PropertiesOf("Pipeliner.Server.runtimeconfig.json");

        // The container's IL-emitted resolvers were compiled (optimizing JIT, no tiers) while a fresh server answered its first webhooks.
        Assert.True(properties.GetProperty("Microsoft.Extensions.DependencyInjection.DisableDynamicEngine").GetBoolean());
        Assert.False(properties.GetProperty("System.Runtime.TieredCompilation").GetBoolean());
    }

    [Fact]
    public void RuntimeConfig_GivesTheCollectorRegionsOf1MiB_WhenTheServerIsBuilt()
    {
        var properties = RuntimeConfig.PropertiesOf("Pipeliner.Server.runtimeconfig.json");

        // With the runtime's 4 MiB regions the peak before the 100-run burst was ~4 MiB higher (docs/performance.md).
        Assert.Equal(1024 * 1024, properties.GetProperty("System.GC.RegionSize").GetInt32());
    }
}
