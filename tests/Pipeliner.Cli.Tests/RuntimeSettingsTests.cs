using Pipeliner.TestSupport;

namespace Pipeliner.Cli.Tests;

/// <summary>
/// The runtime settings the built <c>pipeliner</c> starts with (its <c>pipeliner.runtimeconfig.json</c>, copied beside the
/// tests by the project reference): a long-running <c>pipeliner agent</c> compiles a hot method again once, without an
/// instrumented copy first, and its idle thread-pool workers sleep without spinning (docs/performance.md, "Docker jobs on
/// a remote agent").
/// </summary>
public sealed class RuntimeSettingsTests
{
    [Fact]
    public void RuntimeConfig_TurnsOffTieredPgoAndThreadPoolSpinning_WhenTheCliIsBuilt()
    {
        var properties = RuntimeConfig.PropertiesOf("pipeliner.runtimeconfig.json");

        Assert.False(properties.GetProperty("System.Runtime.TieredPGO").GetBoolean());
        Assert.Equal(0, properties.GetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit").GetInt32());
        // Tiered compilation itself stays on: short commands start on quickly compiled code.
        Assert.False(properties.TryGetProperty("System.Runtime.TieredCompilation", out _));
    }
}
