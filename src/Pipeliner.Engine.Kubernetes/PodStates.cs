using k8s.Models;
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

    private static string Describe(string? message, string fallback) =>
        string.IsNullOrWhiteSpace(message) ? fallback : message.Trim().Replace('\n', ' ');
}
