using Pipeliner.Engine.Kubernetes;
using Pipeliner.Engine.Tests.Support;

namespace Pipeliner.Engine.Tests.Backends.Kubernetes;

public sealed class KubernetesBackendOptionsTests
{
    [Fact]
    public void FromEnvironment_ReadsEverySetting_WhenTheDeploymentSetsThem()
    {
        using var directory = new TempDirectory("placement");
        var file = directory.Combine("placement.yaml");
        File.WriteAllText(file, "gpu:\n  nodeSelector: { accelerator: a100 }\n");
        var variables = new Dictionary<string, string>
        {
            ["PIPELINER_KUBERNETES_NAMESPACE"] = "ci",
            ["PIPELINER_KUBERNETES_SERVICE_ACCOUNT"] = "ci-job",
            ["PIPELINER_KUBERNETES_HELPER_IMAGE"] = "registry.example.com/busybox:1.36",
            ["PIPELINER_KUBERNETES_IMAGE_PULL_SECRETS"] = "regcred, other",
            ["PIPELINER_KUBERNETES_PLACEMENT_FILE"] = file,
            ["PIPELINER_KUBERNETES_DEADLINE_MARGIN_SECONDS"] = "30",
        };

        var options = KubernetesBackendOptions.FromEnvironment("k8s-1", name => variables.GetValueOrDefault(name));

        Assert.Equal(("k8s-1", "ci", "ci-job", "registry.example.com/busybox:1.36"), (options.AgentName, options.Namespace, options.ServiceAccount, options.HelperImage));
        Assert.Equal(["regcred", "other"], options.ImagePullSecrets);
        Assert.Equal("a100", options.Placement["gpu"].NodeSelector["accelerator"]);
        Assert.Equal(TimeSpan.FromSeconds(30), options.DeadlineMargin);
        Assert.False(options.AutomountServiceAccountToken);
    }

    [Fact]
    public void FromEnvironment_KeepsTheDefaults_WhenNothingIsSet()
    {
        var options = KubernetesBackendOptions.FromEnvironment("k8s-1", _ => null);

        Assert.Equal(("pipeliner-jobs", null, "busybox:1.36"), (options.Namespace, options.ServiceAccount, options.HelperImage));
        Assert.Empty(options.Placement);
    }

    [Fact]
    public void FromEnvironment_NamesTheVariable_WhenAValueIsInvalid()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            KubernetesBackendOptions.FromEnvironment("k8s-1", name => name == "PIPELINER_KUBERNETES_DEADLINE_MARGIN_SECONDS" ? "1m" : null));

        Assert.Equal("PIPELINER_KUBERNETES_DEADLINE_MARGIN_SECONDS: '1m' is not a whole number of seconds", error.Message);
    }
}
