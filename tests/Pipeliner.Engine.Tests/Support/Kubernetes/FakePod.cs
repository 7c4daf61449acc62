using System.Text.Json.Nodes;
using System.Threading.Channels;
using k8s;
using k8s.Models;

namespace Pipeliner.Engine.Tests.Support.Kubernetes;

/// <summary>
/// A Pod held by <see cref="FakeKubernetesApi"/>, and the kubelet's hands on it: the test starts containers, writes
/// their output, ends them (exit code, OOM), fails the init container or passes the deadline. Every change gets a
/// new resource version and reaches the watchers as the API server sends it.
/// </summary>
public sealed class FakePod
{
    private readonly object _gate = new();
    private readonly Func<long> _nextVersion;
    private readonly List<(long Version, string Type, string Json)> _history = [];
    private readonly List<Channel<string>> _watchers = [];
    private readonly Dictionary<string, ContainerLog> _logs = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _deleted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private V1Pod _pod;

    internal FakePod(V1Pod pod, JsonNode sent, Func<long> nextVersion)
    {
        _pod = pod;
        Sent = sent;
        _nextVersion = nextVersion;
        foreach (var container in AllContainers()) _logs[container] = new ContainerLog();
        Record("ADDED");
    }

    public string Name => _pod.Metadata.Name;

    /// <summary>The JSON the client sent to create the Pod, as it was sent.</summary>
    public JsonNode Sent { get; }

    public V1Pod Current
    {
        get
        {
            lock (_gate) return KubernetesJson.Deserialize<V1Pod>(KubernetesJson.Serialize(_pod));
        }
    }

    public bool IsDeleted => _deleted.Task.IsCompleted;

    public Task Deleted => _deleted.Task;

    /// <summary>The workspace directory on this machine that the exec handler mounts at /workspace, when a test gives one.</summary>
    public string? Workspace { get; set; }

    /// <summary>The init container succeeded and every container runs.</summary>
    public void Start() => Update(pod =>
    {
        pod.Status.Phase = "Running";
        pod.Status.InitContainerStatuses = pod.Spec.InitContainers?.Select(c => Terminated(c.Name, 0, "Completed", null)).ToList();
        pod.Status.ContainerStatuses = pod.Spec.Containers
            .Select(c => new V1ContainerStatus { Name = c.Name, Image = c.Image, Ready = true, State = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = DateTime.UtcNow } } })
            .ToList();
    });

    public void Write(string container, string text) => LogOf(container).Append(text);

    public void Exit(string container, int exitCode, string? reason = null) => Update(pod =>
    {
        var status = pod.Status.ContainerStatuses.Single(c => c.Name == container);
        status.State = new V1ContainerState { Terminated = Terminated(container, exitCode, reason ?? (exitCode == 0 ? "Completed" : "Error"), null).State.Terminated };
        status.Ready = false;
        LogOf(container).Complete();
    });

    /// <summary>The init container ended with an error; with restartPolicy Never the Pod has failed.</summary>
    public void FailFetch(int exitCode, string output) => Update(pod =>
    {
        LogOf(Engine.Kubernetes.PodBuilder.FetchContainer).Append(output);
        pod.Status.Phase = "Failed";
        pod.Status.InitContainerStatuses = [Terminated(Engine.Kubernetes.PodBuilder.FetchContainer, exitCode, "Error", output)];
    });

    /// <summary>A container stays waiting for a reason, e.g. ImagePullBackOff.</summary>
    public void Wait(string container, string reason, string message) => Update(pod =>
    {
        pod.Status.InitContainerStatuses = pod.Spec.InitContainers?.Select(c => Terminated(c.Name, 0, "Completed", null)).ToList();
        pod.Status.ContainerStatuses = pod.Spec.Containers
            .Select(c => new V1ContainerStatus
            {
                Name = c.Name,
                Image = c.Image,
                State = c.Name == container
                    ? new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = reason, Message = message } }
                    : new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = DateTime.UtcNow } },
            })
            .ToList();
    });

    /// <summary>The Pod ran past activeDeadlineSeconds: the kubelet killed its containers and failed it.</summary>
    public void PassDeadline() => Update(pod =>
    {
        pod.Status.Phase = "Failed";
        pod.Status.Reason = "DeadlineExceeded";
        pod.Status.Message = $"Pod was active on the node longer than the specified deadline";
        foreach (var status in pod.Status.ContainerStatuses ?? [])
        {
            status.State = new V1ContainerState { Terminated = Terminated(status.Name, 137, "Error", null).State.Terminated };
            LogOf(status.Name).Complete();
        }
    });

    /// <summary>
    /// The kubelet's eviction as it reports it: the Pod failed with reason <c>Evicted</c> and the eviction manager's
    /// message, its containers killed (137); e.g. for a workspace over its <c>sizeLimit</c>.
    /// </summary>
    public void Evict(string message) => Update(pod =>
    {
        pod.Status.Phase = "Failed";
        pod.Status.Reason = "Evicted";
        pod.Status.Message = message;
        foreach (var status in pod.Status.ContainerStatuses ?? [])
        {
            status.State = new V1ContainerState { Terminated = Terminated(status.Name, 137, "Error", null).State.Terminated };
            LogOf(status.Name).Complete();
        }
    });

    internal ContainerLog LogOf(string container) =>
        _logs.TryGetValue(container, out var log) ? log : throw new InvalidOperationException($"the Pod {Name} has no container '{container}'");

    internal void Update(Action<V1Pod> change)
    {
        lock (_gate)
        {
            change(_pod);
            Record("MODIFIED");
        }
    }

    internal void Delete()
    {
        lock (_gate)
        {
            Record("DELETED");
            foreach (var watcher in _watchers) watcher.Writer.TryComplete();
            _watchers.Clear();
        }

        foreach (var log in _logs.Values) log.Complete();
        _deleted.TrySetResult();
    }

    /// <summary>Events after <paramref name="fromVersion"/> (all of them as ADDED when null), then every later one.</summary>
    internal ChannelReader<string> Watch(long? fromVersion)
    {
        var channel = Channel.CreateUnbounded<string>();
        lock (_gate)
        {
            if (fromVersion is null) channel.Writer.TryWrite(Event("ADDED", KubernetesJson.Serialize(_pod)));
            else
            {
                foreach (var (version, type, json) in _history.Where(h => h.Version > fromVersion)) channel.Writer.TryWrite(Event(type, json));
            }

            if (IsDeleted) channel.Writer.TryComplete();
            else _watchers.Add(channel);
        }

        return channel.Reader;
    }

    internal string Json()
    {
        lock (_gate) return KubernetesJson.Serialize(_pod);
    }

    private void Record(string type)
    {
        var version = _nextVersion();
        _pod.Metadata.ResourceVersion = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var json = KubernetesJson.Serialize(_pod);
        _history.Add((version, type, json));
        foreach (var watcher in _watchers) watcher.Writer.TryWrite(Event(type, json));
    }

    private static string Event(string type, string json) => $"{{\"type\":\"{type}\",\"object\":{json}}}\n";

    private IEnumerable<string> AllContainers() =>
        (_pod.Spec.InitContainers ?? []).Concat(_pod.Spec.Containers).Select(c => c.Name);

    private static V1ContainerStatus Terminated(string name, int exitCode, string reason, string? message) => new()
    {
        Name = name,
        State = new V1ContainerState
        {
            Terminated = new V1ContainerStateTerminated { ExitCode = exitCode, Reason = reason, Message = message, FinishedAt = DateTime.UtcNow },
        },
    };
}
