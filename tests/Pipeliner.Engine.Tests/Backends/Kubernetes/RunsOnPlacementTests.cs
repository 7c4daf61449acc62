using Pipeliner.Engine.Kubernetes;

namespace Pipeliner.Engine.Tests.Backends.Kubernetes;

public sealed class RunsOnPlacementTests
{
    private const string File = """
        gpu:
          nodeSelector: { nvidia.com/gpu.present: "true" }
          tolerations:
            - { key: nvidia.com/gpu, operator: Exists, effect: NoSchedule }
        arm64:
          nodeSelector: { kubernetes.io/arch: arm64 }
        amd64:
          nodeSelector: { kubernetes.io/arch: amd64 }
        """;

    [Fact]
    public void For_CombinesTheMappedLabels_WhenAJobHasSeveral()
    {
        var placement = RunsOnPlacement.For(["linux", "gpu", "arm64"], RunsOnPlacement.Parse(File));

        Assert.Equal(new Dictionary<string, string> { ["nvidia.com/gpu.present"] = "true", ["kubernetes.io/arch"] = "arm64" }, placement.NodeSelector);
        var toleration = Assert.Single(placement.Tolerations);
        Assert.Equal(("nvidia.com/gpu", "Exists", "NoSchedule"), (toleration.Key, toleration.OperatorProperty, toleration.Effect));
    }

    [Fact]
    public void For_Refuses_WhenTwoLabelsAskForDifferentValuesOfOneNodeLabel()
    {
        var error = Assert.Throws<ArgumentException>(() => RunsOnPlacement.For(["arm64", "amd64"], RunsOnPlacement.Parse(File)));

        Assert.Equal("runs-on labels 'arm64' and 'amd64' ask for different values of the node label kubernetes.io/arch ('arm64', 'amd64')", error.Message);
    }

    [Fact]
    public void Parse_NamesTheLine_WhenAKeyIsUnknown()
    {
        var error = Assert.Throws<ArgumentException>(() => RunsOnPlacement.Parse("gpu:\n  nodeSelectors: { a: b }\n"));

        Assert.StartsWith("line 2:", error.Message, StringComparison.Ordinal);
    }
}
