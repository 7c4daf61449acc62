namespace Pipeliner.Engine.Kubernetes;

/// <summary>Labels and annotations on every Pod and Secret the backend creates, so that leftovers can always be found.</summary>
internal static class PodLabels
{
    public const string ManagedBy = "app.kubernetes.io/managed-by";
    public const string ManagedByValue = "pipeliner";
    public const string Agent = "pipeliner.io/agent";

    /// <summary>The agent process that created the Pod (a hash of <c>host/pid/start</c>); the readable form is an annotation.</summary>
    public const string Owner = "pipeliner.io/owner";

    public const string Project = "pipeliner.io/project";
    public const string Run = "pipeliner.io/run";
    public const string Job = "pipeliner.io/job";
    public const string Attempt = "pipeliner.io/attempt";
    public const string Workflow = "pipeliner.io/workflow";
}
