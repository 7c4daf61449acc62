using k8s.Models;
using Pipeliner.Engine.Kubernetes;

namespace Pipeliner.Engine.Tests.Backends.Kubernetes;

/// <summary>Which evictions are the job's own doing (its storage over a limit) and what the job's failure then says.</summary>
public sealed class PodStatesTests
{
    private static V1Pod Evicted(string message, string? sizeLimit = "8388608") => new()
    {
        Metadata = new V1ObjectMeta { Name = "pipeliner-17-filler-1-ab12" },
        Spec = new V1PodSpec
        {
            Containers = [new V1Container { Name = "job" }],
            Volumes = [new V1Volume { Name = "workspace", EmptyDir = new V1EmptyDirVolumeSource { SizeLimit = sizeLimit is null ? null : new ResourceQuantity(sizeLimit) } }],
        },
        Status = new V1PodStatus { Phase = "Failed", Reason = "Evicted", Message = message },
    };

    [Theory]
    [InlineData("Usage of EmptyDir volume \"workspace\" exceeds the limit \"8Mi\". ", "the workspace exceeded its limit of 8Mi (resources.workspace)")]
    [InlineData("Container job exceeded its local ephemeral storage limit \"1Gi\". ", "the job's local storage exceeded an ephemeral-storage limit of its Pod")]
    [InlineData("Pod ephemeral local storage usage exceeds the total limit of containers 1Gi. ", "the job's local storage exceeded an ephemeral-storage limit of its Pod")]
    public void StorageEviction_IsTheJobsFailure_WhenTheKubeletEvictedThePodForItsStorage(string kubelet, string failure)
    {
        var evicted = PodStates.StorageEviction(Evicted(kubelet));

        Assert.NotNull(evicted);
        Assert.Equal(failure, evicted.Message);
        Assert.Equal($"the kubelet evicted the Pod pipeliner-17-filler-1-ab12: {kubelet.Trim()}", evicted.Detail);
    }

    [Theory]
    [InlineData("The node was low on resource: ephemeral-storage. Threshold quantity: 1Gi, available: 512Mi. ")]
    [InlineData("The node was low on resource: memory. ")]
    public void StorageEviction_IsNull_WhenTheNodeRanShort(string kubelet) =>
        Assert.Null(PodStates.StorageEviction(Evicted(kubelet)));

    [Fact]
    public void ThrowIfHopeless_ThrowsTheWorkspaceLimit_EvenWhenTheScriptsContainerShowsItsKill()
    {
        var pod = Evicted("Usage of EmptyDir volume \"workspace\" exceeds the limit \"8Mi\". ");
        pod.Status.ContainerStatuses = [new V1ContainerStatus { Name = "job", State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = 137 } } }];

        var thrown = Assert.Throws<Pipeliner.Engine.Backends.StepLimitExceededException>(() => PodStates.ThrowIfHopeless(pod, "job", "the job's container"));

        Assert.Equal("the workspace exceeded its limit of 8Mi (resources.workspace)", thrown.Message);
    }
}
