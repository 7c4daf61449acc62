namespace Pipeliner.Engine.Backends.Docker;

/// <summary>Labels put on every container Pipeliner creates, so that leftovers can always be found.</summary>
internal static class DockerLabels
{
    public const string Managed = "io.pipeliner.managed";
    public const string Owner = "io.pipeliner.owner";
    public const string Run = "io.pipeliner.run";
    public const string Job = "io.pipeliner.job";
    public const string Workflow = "io.pipeliner.workflow";
    public const string Step = "io.pipeliner.step";
}
