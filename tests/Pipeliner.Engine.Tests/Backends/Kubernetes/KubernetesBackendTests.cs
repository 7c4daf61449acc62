using k8s.Models;
using Pipeliner.Engine.Backends;
using Pipeliner.Engine.Kubernetes;
using Pipeliner.Engine.Tests.Support.Kubernetes;

namespace Pipeliner.Engine.Tests.Backends.Kubernetes;

/// <summary>The backend's own calls: availability and the removal of what a dead predecessor left.</summary>
public sealed class KubernetesBackendTests
{
    private static readonly OwnerIdentity Predecessor = new("agent-pod-5b8c", 1, 900);

    [Fact]
    public async Task RemoveOrphansAsync_DeletesPodsAndSecretsOfThePredecessor_WhenTheAgentStarts()
    {
        await using var harness = await KubernetesJobHarness.StartAsync();
        await using var predecessor = await KubernetesJobHarness.StartAsync(owner: Predecessor);
        var ours = PodOf(harness, "ours", ownerOf: harness.Backend);
        var left = PodOf(harness, "left-by-crash", ownerOf: predecessor.Backend);
        var otherAgent = PodOf(harness, "other-agent", ownerOf: predecessor.Backend, agent: "k8s-agent-2");
        harness.Api.AddSecret(new V1Secret { Metadata = new V1ObjectMeta { Name = left.Metadata.Name, Labels = left.Metadata.Labels } });
        harness.Api.AddSecret(new V1Secret { Metadata = new V1ObjectMeta { Name = ours.Metadata.Name, Labels = ours.Metadata.Labels } });
        harness.Api.AddSecret(new V1Secret { Metadata = new V1ObjectMeta { Name = otherAgent.Metadata.Name, Labels = otherAgent.Metadata.Labels } });

        await harness.Backend.RemoveOrphansAsync(CancellationToken.None);

        Assert.Equal(["pipeliner-other-agent", "pipeliner-ours"], harness.Api.Pods.Select(p => p.Name).Order());
        Assert.Equal(["pipeliner-other-agent", "pipeliner-ours"], harness.Api.Secrets.Keys.Order());
        Assert.Contains(harness.Api.Requests, r => r.Method == "GET" && r.PathAndQuery.StartsWith("/api/v1/namespaces/ci-jobs/pods?labelSelector=pipeliner.io%2Fagent%3Dk8s-agent-1&", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CheckAvailableAsync_SaysWhatToBind_WhenTheApiRefusesTheCredential()
    {
        await using var api = await FakeKubernetesApi.StartAsync();
        var configuration = api.Configuration();
        configuration.AccessToken = "wrong-token";
        await using var backend = new KubernetesBackend(new k8s.Kubernetes(configuration), new KubernetesBackendOptions { AgentName = "a", Namespace = "ci-jobs" }, api.Address.ToString());

        var error = await Assert.ThrowsAsync<BackendUnavailableException>(() => backend.CheckAvailableAsync(CancellationToken.None));

        Assert.Equal($"the Kubernetes API at {api.Address} refuses to list Pods in namespace 'ci-jobs' (401: Unauthorized); " +
                     "bind the agent's service account to the Role in deploy/kubernetes/agent-rbac.yaml", error.Message);
    }

    [Fact]
    public async Task CheckAvailableAsync_SaysWhereItLooked_WhenNoApiAnswers()
    {
        await using var backend = new KubernetesBackend(
            new k8s.Kubernetes(new k8s.KubernetesClientConfiguration { Host = "http://127.0.0.1:9" }),
            new KubernetesBackendOptions { AgentName = "a" }, "http://127.0.0.1:9");

        var error = await Assert.ThrowsAsync<BackendUnavailableException>(() => backend.CheckAvailableAsync(CancellationToken.None));

        Assert.StartsWith("no Kubernetes API answers at http://127.0.0.1:9 (", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAvailableAsync_Passes_WhenTheApiListsPods()
    {
        await using var harness = await KubernetesJobHarness.StartAsync();

        await harness.Backend.CheckAvailableAsync(CancellationToken.None);

        Assert.Contains(harness.Api.Requests, r => r.PathAndQuery.StartsWith("/api/v1/namespaces/ci-jobs/pods?", StringComparison.Ordinal) &&
                                                  r.PathAndQuery.Contains("limit=1", StringComparison.Ordinal));
    }

    /// <summary>A Pod as the backend labels them, made by the given backend's owner (read back from a Pod it builds).</summary>
    private static V1Pod PodOf(KubernetesJobHarness harness, string name, KubernetesBackend ownerOf, string agent = "k8s-agent-1")
    {
        var owner = ownerOf.OwnerLabel;
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta
            {
                Name = "pipeliner-" + name,
                Labels = new Dictionary<string, string> { ["pipeliner.io/agent"] = agent, ["pipeliner.io/owner"] = owner, ["app.kubernetes.io/managed-by"] = "pipeliner" },
            },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "job", Image = "alpine:3" }] },
        };
        harness.Api.AddPod(pod);
        return pod;
    }
}
