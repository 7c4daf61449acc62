namespace Pipeliner.Engine.Kubernetes;

/// <summary>
/// How the Kubernetes backend runs jobs: where (namespace, service account, placement by <c>runs-on</c>), with
/// which helper image, and how it reaches the API server. <see cref="FromEnvironment"/> reads them from
/// <c>PIPELINER_KUBERNETES_*</c> variables, as the agent's Deployment sets them.
/// </summary>
public sealed record KubernetesBackendOptions
{
    /// <summary>The agent's name: every Pod carries it, and an agent that starts removes its predecessors' Pods.</summary>
    public required string AgentName { get; init; }

    /// <summary>The namespace job Pods run in; the agent's Role grants Pods, Pod logs, exec and Secrets there only.</summary>
    public string Namespace { get; init; } = "pipeliner-jobs";

    /// <summary>The service account of job Pods; null uses the namespace's <c>default</c>.</summary>
    public string? ServiceAccount { get; init; }

    /// <summary>Whether job Pods get an API token mounted; off by default, so a job's code cannot talk to the cluster.</summary>
    public bool AutomountServiceAccountToken { get; init; }

    /// <summary>The image of the init container that fetches the workspace and of the helper that archives paths: it needs sh, wget, tar and sha256sum.</summary>
    public string HelperImage { get; init; } = "busybox:1.36";

    /// <summary>Secrets in <see cref="Namespace"/> the kubelet uses to pull images from private registries.</summary>
    public IReadOnlyList<string> ImagePullSecrets { get; init; } = [];

    /// <summary>Node selectors and tolerations per <c>runs-on</c> label; labels without an entry place nothing.</summary>
    public IReadOnlyDictionary<string, RunsOnPlacement> Placement { get; init; } = new Dictionary<string, RunsOnPlacement>();

    /// <summary>
    /// Added to a job's timeout for its Pod's <c>activeDeadlineSeconds</c>: the agent stops the job at its timeout;
    /// the deadline is the cluster's own backstop when no agent is left to do so.
    /// </summary>
    public TimeSpan DeadlineMargin { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>A kubeconfig file; null uses the in-cluster service account when there is one, else <c>~/.kube/config</c>.</summary>
    public string? Kubeconfig { get; init; }

    /// <summary>Reads <c>PIPELINER_KUBERNETES_*</c>; the placement from the YAML file <c>PIPELINER_KUBERNETES_PLACEMENT_FILE</c> names.</summary>
    /// <exception cref="ArgumentException">A value is invalid; the message names the variable.</exception>
    public static KubernetesBackendOptions FromEnvironment(string agentName, Func<string, string?> variable)
    {
        string? Value(string name) => variable("PIPELINER_KUBERNETES_" + name) is { Length: > 0 } value ? value.Trim() : null;
        var defaults = new KubernetesBackendOptions { AgentName = agentName };
        var margin = defaults.DeadlineMargin;
        if (Value("DEADLINE_MARGIN_SECONDS") is { } seconds)
        {
            margin = int.TryParse(seconds, System.Globalization.CultureInfo.InvariantCulture, out var parsed) && parsed >= 0
                ? TimeSpan.FromSeconds(parsed)
                : throw new ArgumentException($"PIPELINER_KUBERNETES_DEADLINE_MARGIN_SECONDS: '{seconds}' is not a whole number of seconds");
        }

        return defaults with
        {
            Namespace = Value("NAMESPACE") ?? defaults.Namespace,
            ServiceAccount = Value("SERVICE_ACCOUNT"),
            AutomountServiceAccountToken = Value("AUTOMOUNT_SERVICE_ACCOUNT_TOKEN") is { } automount &&
                                           (bool.TryParse(automount, out var on)
                                               ? on
                                               : throw new ArgumentException($"PIPELINER_KUBERNETES_AUTOMOUNT_SERVICE_ACCOUNT_TOKEN: '{automount}' is not true or false")),
            HelperImage = Value("HELPER_IMAGE") ?? defaults.HelperImage,
            ImagePullSecrets = Value("IMAGE_PULL_SECRETS")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [],
            Placement = Value("PLACEMENT_FILE") is { } file ? RunsOnPlacement.LoadFile(file) : defaults.Placement,
            DeadlineMargin = margin,
            Kubeconfig = Value("KUBECONFIG"),
        };
    }
}
