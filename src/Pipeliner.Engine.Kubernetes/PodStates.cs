using k8s.Models;
using Pipeliner.Core.Model;
using Pipeliner.Engine.Backends;
using Pipeliner.Engine.Workspaces;

namespace Pipeliner.Engine.Kubernetes;

/// <summary>Reads a Pod's status: whether a container has started or ended, and why a Pod can no longer run one.</summary>
internal static class PodStates
{
    /// <summary>Waiting reasons the kubelet does not get out of by itself: the job's image or spec is at fault.</summary>
    private static readonly HashSet<string> HopelessWaits = new(StringComparer.Ordinal)
    {
        "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError",
    };

    public static V1ContainerStatus? Container(V1Pod pod, string name) =>
        pod.Status?.ContainerStatuses?.FirstOrDefault(c => c.Name == name);

    public static bool HasStarted(V1Pod pod, string container) =>
        Container(pod, container)?.State is { } state && (state.Running is not null || state.Terminated is not null);

    public static V1ContainerStateTerminated? Terminated(V1Pod pod, string container) => Container(pod, container)?.State?.Terminated;

    /// <summary>
    /// Throws when the Pod can no longer run <paramref name="container"/>: its deadline passed, the workspace could not
    /// be fetched, the container cannot be created, or the Pod failed for a reason of the node (eviction).
    /// </summary>
    public static void ThrowIfHopeless(V1Pod pod, string container, string what)
    {
        var status = pod.Status;
        if (status?.Reason == "DeadlineExceeded")
            throw new StepDeadlineExceededException($"the Pod {pod.Metadata.Name} passed its deadline ({pod.Spec?.ActiveDeadlineSeconds} s)");
        // Before the containers' states: an eviction kills them (exit code 137), which is not the script's own end.
        if (StorageEviction(pod) is { } evicted) throw evicted;
        var fetch = status?.InitContainerStatuses?.FirstOrDefault(c => c.Name == PodBuilder.FetchContainer);
        if (fetch?.State?.Terminated is { ExitCode: not 0 } failed)
            throw new WorkspaceException($"the workspace could not be fetched: {Describe(failed.Message, $"exit code {failed.ExitCode}")}");
        if (fetch?.State?.Waiting is { } fetchWait && HopelessWaits.Contains(fetchWait.Reason ?? ""))
            throw new StepStartException($"the helper image cannot start: {fetchWait.Reason}: {fetchWait.Message}");
        if (Container(pod, container)?.State?.Waiting is { } waiting && HopelessWaits.Contains(waiting.Reason ?? ""))
            throw new StepStartException($"{what} cannot start: {waiting.Reason}: {Describe(waiting.Message, "no message")}");
        if (status?.Phase == "Failed" && Terminated(pod, container) is null)
            throw new InvalidOperationException($"the Pod {pod.Metadata.Name} failed: {status.Reason ?? "no reason"}: {Describe(status.Message, "no message")}");
    }

    /// <summary>
    /// The kubelet evicted the Pod for the job's own use of local storage: its workspace's <c>sizeLimit</c> (the
    /// kubelet's message: <c>Usage of EmptyDir volume "workspace" exceeds the limit "…"</c>), or an ephemeral-storage
    /// limit of a container or of the Pod (which a LimitRange of the namespace may add). Evictions because the node ran
    /// short are not the job's doing and stay infrastructure failures.
    /// </summary>
    public static StepLimitExceededException? StorageEviction(V1Pod pod)
    {
        if (pod.Status is not { Reason: "Evicted", Message: { } message }) return null;
        var detail = $"the kubelet evicted the Pod {pod.Metadata.Name}: {Describe(message, "no message")}";
        if (message.Contains($"EmptyDir volume \"{PodBuilder.WorkspaceVolume}\"", StringComparison.Ordinal))
        {
            var limit = pod.Spec?.Volumes?.FirstOrDefault(v => v.Name == PodBuilder.WorkspaceVolume)?.EmptyDir?.SizeLimit is { } quantity
                ? new ByteSize(quantity.ToInt64()).ToString()
                : "its size limit";
            return new StepLimitExceededException($"the workspace exceeded its limit of {limit} (resources.workspace)", detail);
        }

        return message.Contains("local ephemeral storage", StringComparison.Ordinal) || message.Contains("ephemeral local storage", StringComparison.Ordinal)
            ? new StepLimitExceededException("the job's local storage exceeded an ephemeral-storage limit of its Pod", detail)
            : null;
    }

    private static string Describe(string? message, string fallback) =>
        string.IsNullOrWhiteSpace(message) ? fallback : message.Trim().Replace('\n', ' ');
}
