using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Pipeliner.Engine.Backends;

namespace Pipeliner.Engine.Kubernetes;

/// <summary>
/// Runs each job attempt as one Pod (see <see cref="PodBuilder"/>) through the Kubernetes API: the workflow's setup
/// creates it, a step has started when its container runs, its output is the container's log followed, its exit the
/// container's terminated state, and destroying the workflow deletes the Pod. The workspace is fetched in the Pod
/// itself (<see cref="IExecutionBackend.FetchesWorkspace"/>), so the agent needs no volume shared with its Pods.
/// </summary>
public sealed class KubernetesBackend : IExecutionBackend
{
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(10);

    private readonly IKubernetes _client;
    private readonly KubernetesBackendOptions _options;
    private readonly string _endpoint;
    private readonly string _agentLabel;
    private readonly string _ownerLabel;
    private readonly PodBuilder _builder;
    private readonly PodArchives _archives;
    private readonly ConcurrentDictionary<string, bool> _created = new(StringComparer.Ordinal);

    public KubernetesBackend(IKubernetes client, KubernetesBackendOptions options, string endpoint, OwnerIdentity? owner = null)
    {
        _client = client;
        _options = options;
        _endpoint = endpoint;
        var ownerText = (owner ?? OwnerIdentity.Current).ToString();
        _ownerLabel = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ownerText)))[..16];
        _agentLabel = KubernetesNames.LabelValue(options.AgentName);
        _builder = new PodBuilder(options, _ownerLabel, ownerText);
        _archives = new PodArchives(client, options.Namespace);
    }

    /// <summary>
    /// The backend for these options: the kubeconfig they name, else the in-cluster service account when running in a
    /// Pod, else <c>~/.kube/config</c>.
    /// </summary>
    public static KubernetesBackend Create(KubernetesBackendOptions options)
    {
        KubernetesClientConfiguration configuration;
        try
        {
            configuration = options.Kubeconfig is null && KubernetesClientConfiguration.IsInCluster()
                ? KubernetesClientConfiguration.InClusterConfig()
                : KubernetesClientConfiguration.BuildConfigFromConfigFile(options.Kubeconfig);
        }
        catch (Exception e) when (e is k8s.Exceptions.KubeConfigException or IOException)
        {
            throw new BackendUnavailableException($"no Kubernetes API to use: {e.Message}; run the agent in the cluster or give a kubeconfig (PIPELINER_KUBERNETES_KUBECONFIG)", e);
        }

        // Log follows and watches last as long as a job does: no client-side request timeout.
        configuration.HttpClientTimeout = Timeout.InfiniteTimeSpan;
        return new KubernetesBackend(new k8s.Kubernetes(configuration), options, configuration.Host);
    }

    public string Name => "kubernetes";

    /// <summary>The owner label on this backend's Pods: a hash of the agent process's identity.</summary>
    internal string OwnerLabel => _ownerLabel;

    public bool FetchesWorkspace => true;

    public async Task CheckAvailableAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CheckTimeout);
        try
        {
            await _client.CoreV1.ListNamespacedPodAsync(_options.Namespace, labelSelector: $"{PodLabels.Agent}={_agentLabel}", limit: 1, cancellationToken: timeout.Token);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw new BackendUnavailableException(
                $"the Kubernetes API at {_endpoint} refuses to list Pods in namespace '{_options.Namespace}' ({(int)e.Response.StatusCode}: {ApiErrors.Describe(e)}); " +
                "bind the agent's service account to the Role in deploy/kubernetes/agent-rbac.yaml", e);
        }
        catch (Exception e) when (e is HttpRequestException or HttpOperationException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new BackendUnavailableException($"no Kubernetes API answers at {_endpoint} ({e.GetBaseException().Message})", e);
        }
    }

    /// <summary>
    /// Deletes this agent's Pods and Secrets that another process of it created: an agent's name is unique, so they are
    /// left from a predecessor that crashed or was rescheduled, and the server has given their attempts up.
    /// </summary>
    public async Task RemoveOrphansAsync(CancellationToken cancellationToken)
    {
        var pods = await _client.CoreV1.ListNamespacedPodAsync(_options.Namespace, labelSelector: $"{PodLabels.Agent}={_agentLabel}", cancellationToken: cancellationToken);
        foreach (var pod in pods.Items.Where(p => p.Metadata.Labels is not { } labels || !labels.TryGetValue(PodLabels.Owner, out var owner) || owner != _ownerLabel))
            await DeletePodAsync(pod.Metadata.Name, cancellationToken);
        // Secrets of those Pods go with them (owner references); this also finds one whose Pod was never created.
        await _client.CoreV1.DeleteCollectionNamespacedSecretAsync(_options.Namespace,
            labelSelector: $"{PodLabels.Agent}={_agentLabel},{PodLabels.Owner}!={_ownerLabel}", cancellationToken: cancellationToken);
    }

    public async Task SetupWorkflowAsync(WorkflowSpec workflow, CancellationToken cancellationToken)
    {
        var (secret, pod) = _builder.Build(workflow);
        var name = pod.Metadata.Name;
        if (!_created.TryAdd(workflow.Id, true)) return;
        await _client.CoreV1.CreateNamespacedSecretAsync(secret, _options.Namespace, cancellationToken: cancellationToken);
        V1Pod created;
        try
        {
            created = await _client.CoreV1.CreateNamespacedPodAsync(pod, _options.Namespace, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (ApiErrors.IsRefusal(e))
        {
            throw new StepStartException($"the cluster refuses the job's Pod: {ApiErrors.Describe(e)}", e);
        }
        catch (HttpOperationException e)
        {
            throw new InvalidOperationException($"the Kubernetes API did not create the job's Pod ({(int)e.Response.StatusCode}: {ApiErrors.Describe(e)})", e);
        }

        // The Secret now belongs to the Pod: whoever deletes the Pod (this agent, a person, the sweep) deletes it too.
        var owner = new { metadata = new { ownerReferences = new[] { new { apiVersion = "v1", kind = "Pod", name, uid = created.Metadata.Uid } } } };
        await _client.CoreV1.PatchNamespacedSecretAsync(new V1Patch(owner, V1Patch.PatchType.MergePatch), name, _options.Namespace, cancellationToken: cancellationToken);
    }

    /// <summary>Waits until the step's container runs (or already ended): the Pod started all of them together.</summary>
    public async Task StartStepAsync(WorkflowSpec workflow, StepSpec step, CancellationToken cancellationToken)
    {
        var container = PodBuilder.ContainerName(step);
        var what = step.Kind == StepKind.Service ? $"service '{step.Name}' ({step.Image})" : $"the job's container ({step.Image})";
        await WaitForPodAsync(workflow, pod =>
        {
            PodStates.ThrowIfHopeless(pod, container, what);
            return PodStates.HasStarted(pod, container);
        }, cancellationToken);
    }

    public async Task<Stream> TailStepAsync(WorkflowSpec workflow, StepSpec step, CancellationToken cancellationToken) =>
        await _client.CoreV1.ReadNamespacedPodLogAsync(PodBuilder.PodName(workflow), _options.Namespace,
            container: PodBuilder.ContainerName(step), follow: true, cancellationToken: cancellationToken);

    public async Task<StepExit> WaitStepAsync(WorkflowSpec workflow, StepSpec step, CancellationToken cancellationToken)
    {
        var container = PodBuilder.ContainerName(step);
        var pod = await WaitForPodAsync(workflow, pod =>
        {
            PodStates.ThrowIfHopeless(pod, container, step.Name);
            return PodStates.Terminated(pod, container) is not null;
        }, cancellationToken);
        var terminated = PodStates.Terminated(pod, container)!;
        return new StepExit(terminated.ExitCode, terminated.Reason == "OOMKilled", PeakMemoryBytes: null);
    }

    public Task<Stream?> CopyFromStepAsync(WorkflowSpec workflow, StepSpec step, string path, CancellationToken cancellationToken) =>
        _archives.TarAsync(PodBuilder.PodName(workflow), path, cancellationToken);

    /// <summary>Nothing to do for one step: its container lives and dies with the Pod.</summary>
    public Task DestroyStepAsync(WorkflowSpec workflow, StepSpec step, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task DestroyWorkflowAsync(WorkflowSpec workflow, CancellationToken cancellationToken)
    {
        var name = PodBuilder.PodName(workflow);
        await DeletePodAsync(name, cancellationToken);
        try
        {
            await _client.CoreV1.DeleteNamespacedSecretAsync(name, _options.Namespace, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // Collected with its Pod already, or never created.
        }

        _created.TryRemove(workflow.Id, out _);
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The Pod once <paramref name="until"/> holds for it: read, then watched from that version on; a watch the server
    /// closes (they time out) or one that is too old is started again from a fresh read.
    /// </summary>
    private async Task<V1Pod> WaitForPodAsync(WorkflowSpec workflow, Func<V1Pod, bool> until, CancellationToken cancellationToken)
    {
        var name = PodBuilder.PodName(workflow);
        while (true)
        {
            V1Pod pod;
            try
            {
                pod = await _client.CoreV1.ReadNamespacedPodAsync(name, _options.Namespace, cancellationToken: cancellationToken);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                throw new InvalidOperationException($"the Pod {name} is gone: someone deleted it, or its node was lost", e);
            }

            if (until(pod)) return pod;
            var events = _client.CoreV1.WatchListNamespacedPodAsync(_options.Namespace, fieldSelector: $"metadata.name={name}",
                resourceVersion: pod.Metadata.ResourceVersion, cancellationToken: cancellationToken);
            try
            {
                await foreach (var (type, changed) in events)
                {
                    if (type == WatchEventType.Deleted)
                        throw new InvalidOperationException($"the Pod {name} was deleted while the job ran: by someone else, or its node was lost");
                    if (type is WatchEventType.Added or WatchEventType.Modified && until(changed)) return changed;
                }
            }
            catch (KubernetesException)
            {
                // An error event (e.g. 410 Gone: the version is too old): read again and watch from there.
            }
        }
    }

    private async Task DeletePodAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            await _client.CoreV1.DeleteNamespacedPodAsync(name, _options.Namespace,
                new V1DeleteOptions { GracePeriodSeconds = 1, PropagationPolicy = "Background" }, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // Already gone: destroy is idempotent.
        }
    }
}
