using System.Globalization;
using k8s.Models;
using Pipeliner.Engine.Backends;

namespace Pipeliner.Engine.Kubernetes;

/// <summary>
/// Builds the one Pod of a job attempt and the Secret that goes with it.
/// <list type="bullet">
/// <item>An init container (<see cref="FetchContainer"/>) fills the <c>emptyDir</c> workspace from the server.</item>
/// <item>The job's services as containers <c>svc-NAME</c>: a Pod's containers share its network, so services answer on 127.0.0.1.</item>
/// <item>The script in <see cref="ScriptContainer"/>, in <c>/workspace</c>, with the job's resources as requests and limits.</item>
/// <item>A <see cref="HelperContainer"/> that stays up, so paths can still be archived after the script ended.</item>
/// </list>
/// Secret values (the job's secrets, the fetch credential) are in the Secret, not the Pod: whoever may read Pods in
/// the namespace (the <c>view</c> role) does not see them.
/// </summary>
internal sealed class PodBuilder(KubernetesBackendOptions options, string ownerLabel, string ownerText)
{
    public const string WorkspaceVolume = "workspace";
    public const string WorkspaceMount = "/workspace";
    public const string FetchContainer = "fetch-workspace";
    public const string ScriptContainer = "job";
    public const string HelperContainer = "helper";
    public const string CredentialKey = "fetch-token";

    public static string PodName(WorkflowSpec workflow) => KubernetesNames.DnsLabel("pipeliner-" + workflow.Id);

    public static string ContainerName(StepSpec step) =>
        step.Kind == StepKind.Script ? ScriptContainer : KubernetesNames.DnsLabel("svc-" + step.Name);

    public Dictionary<string, string> Labels(WorkflowSpec workflow) => new(StringComparer.Ordinal)
    {
        [PodLabels.ManagedBy] = PodLabels.ManagedByValue,
        [PodLabels.Agent] = KubernetesNames.LabelValue(options.AgentName),
        [PodLabels.Owner] = ownerLabel,
        [PodLabels.Project] = KubernetesNames.LabelValue(workflow.Project),
        [PodLabels.Run] = KubernetesNames.LabelValue(workflow.RunId),
        [PodLabels.Job] = KubernetesNames.LabelValue(workflow.JobId),
        [PodLabels.Attempt] = workflow.Attempt.ToString(CultureInfo.InvariantCulture),
        [PodLabels.Workflow] = KubernetesNames.LabelValue(workflow.Id),
    };

    /// <exception cref="StepStartException">The job cannot be placed or its workspace paths are invalid.</exception>
    public (V1Secret Secret, V1Pod Pod) Build(WorkflowSpec workflow)
    {
        var fetch = workflow.Fetch ?? throw new InvalidOperationException($"workflow {workflow.Id} has no workspace to fetch");
        var name = PodName(workflow);
        var secretValues = new Dictionary<string, string>(StringComparer.Ordinal) { [CredentialKey] = fetch.Credential };
        RunsOnPlacement placement;
        string archives;
        try
        {
            placement = RunsOnPlacement.For(workflow.RunsOn, options.Placement);
            archives = HelperScripts.ArchiveLines(fetch.Archives);
        }
        catch (ArgumentException e)
        {
            throw new StepStartException(e.Message, e);
        }

        var containers = workflow.Steps.Select(step => Container(step, name, secretValues)).ToList();
        containers.Add(Helper(HelperContainer, ["/bin/sh", "-c", HelperScripts.Idle], []));
        var metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = options.Namespace,
            Labels = Labels(workflow),
            Annotations = new Dictionary<string, string>
            {
                [PodLabels.Owner] = ownerText,
                [PodLabels.Project] = workflow.Project,
                [PodLabels.Run] = workflow.RunId,
                [PodLabels.Job] = workflow.JobId,
            },
        };
        var pod = new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = metadata,
            Spec = new V1PodSpec
            {
                RestartPolicy = "Never",
                ActiveDeadlineSeconds = workflow.Timeout is { } timeout ? (long)Math.Ceiling((timeout + options.DeadlineMargin).TotalSeconds) : null,
                ServiceAccountName = options.ServiceAccount,
                AutomountServiceAccountToken = options.AutomountServiceAccountToken,
                // Service links would put every Service of the namespace into the job's environment.
                EnableServiceLinks = false,
                TerminationGracePeriodSeconds = 10,
                ImagePullSecrets = options.ImagePullSecrets.Count > 0 ? options.ImagePullSecrets.Select(s => new V1LocalObjectReference { Name = s }).ToList() : null,
                NodeSelector = placement.NodeSelector.Count > 0 ? placement.NodeSelector.ToDictionary() : null,
                Tolerations = placement.Tolerations.Count > 0 ? placement.Tolerations.ToList() : null,
                Volumes = [new V1Volume { Name = WorkspaceVolume, EmptyDir = WorkspaceDirectory(workflow) }],
                InitContainers =
                [
                    Helper(FetchContainer, ["/bin/sh", "-c", HelperScripts.Fetch],
                    [
                        Variable(HelperScripts.SourceUrlVariable, fetch.SourceArchive.AbsoluteUri),
                        Variable(HelperScripts.ArchivesVariable, archives),
                        SecretVariable(HelperScripts.CredentialVariable, name, CredentialKey),
                    ]),
                ],
                Containers = containers,
            },
        };
        var secret = new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = options.Namespace, Labels = Labels(workflow) },
            Type = "Opaque",
            StringData = secretValues,
        };
        return (secret, pod);
    }

    private V1Container Container(StepSpec step, string secretName, Dictionary<string, string> secretValues)
    {
        var environment = new List<V1EnvVar>();
        foreach (var (key, value) in step.Environment)
        {
            if (!step.SecretVariables.Contains(key))
            {
                environment.Add(Variable(key, value));
                continue;
            }

            var secretKey = "env-" + secretValues.Count.ToString(CultureInfo.InvariantCulture);
            secretValues[secretKey] = value;
            environment.Add(SecretVariable(key, secretName, secretKey));
        }

        var isScript = step.Kind == StepKind.Script;
        return new V1Container
        {
            Name = ContainerName(step),
            Image = step.Image,
            // A service's command replaces the image's arguments (Docker's CMD), the script replaces its entrypoint.
            Command = isScript ? step.Command.ToList() : null,
            Args = !isScript && step.Command.Count > 0 ? step.Command.ToList() : null,
            Env = environment.Count > 0 ? environment : null,
            WorkingDir = isScript ? WorkspaceMount : null,
            VolumeMounts = isScript ? [new V1VolumeMount { Name = WorkspaceVolume, MountPath = WorkspaceMount }] : null,
            Resources = Resources(step),
        };
    }

    /// <summary>
    /// The workspace's volume: its <c>sizeLimit</c> is the job's workspace limit (<c>resources.workspace</c>), which the
    /// kubelet enforces by evicting the Pod (<see cref="PodStates"/> turns that into the job's failure).
    /// </summary>
    private static V1EmptyDirVolumeSource WorkspaceDirectory(WorkflowSpec workflow) =>
        workflow.Steps.LastOrDefault(s => s.Kind == StepKind.Script)?.Resources.Workspace is { } workspace
            ? new V1EmptyDirVolumeSource { SizeLimit = new ResourceQuantity(workspace.Bytes.ToString(CultureInfo.InvariantCulture)) }
            : new V1EmptyDirVolumeSource();

    /// <summary>
    /// The job's limits, requested as well: a job gets on its node what it may use, as on Docker. The script's
    /// container also requests its workspace as <c>ephemeral-storage</c>, so that the scheduler places the Pod on a node
    /// with room for it; no ephemeral-storage limit: the kubelet would count the containers' own layers and logs in it,
    /// and the workspace's own limit is the volume's <c>sizeLimit</c>.
    /// </summary>
    private static V1ResourceRequirements? Resources(StepSpec step)
    {
        var limits = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal);
        if (step.Resources.Cpus is { } cpus)
            limits["cpu"] = new ResourceQuantity(((long)Math.Ceiling(cpus * 1000)).ToString(CultureInfo.InvariantCulture) + "m");
        if (step.Resources.Memory is { } memory)
            limits["memory"] = new ResourceQuantity(memory.Bytes.ToString(CultureInfo.InvariantCulture));
        var requests = new Dictionary<string, ResourceQuantity>(limits, StringComparer.Ordinal);
        if (step.Kind == StepKind.Script && step.Resources.Workspace is { } workspace)
            requests["ephemeral-storage"] = new ResourceQuantity(workspace.Bytes.ToString(CultureInfo.InvariantCulture));
        if (requests.Count == 0) return null;
        return new V1ResourceRequirements { Limits = limits.Count > 0 ? limits : null, Requests = requests };
    }

    private V1Container Helper(string name, List<string> command, List<V1EnvVar> environment) => new()
    {
        Name = name,
        Image = options.HelperImage,
        Command = command,
        Env = environment.Count > 0 ? environment : null,
        VolumeMounts = [new V1VolumeMount { Name = WorkspaceVolume, MountPath = WorkspaceMount }],
        // A failed fetch says why in the Pod's status: the last lines of its output.
        TerminationMessagePolicy = "FallbackToLogsOnError",
        Resources = new V1ResourceRequirements
        {
            Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("50m"), ["memory"] = new("32Mi") },
        },
    };

    private static V1EnvVar Variable(string name, string value) => new() { Name = name, Value = value };

    private static V1EnvVar SecretVariable(string name, string secretName, string key) => new()
    {
        Name = name,
        ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = secretName, Key = key } },
    };
}
