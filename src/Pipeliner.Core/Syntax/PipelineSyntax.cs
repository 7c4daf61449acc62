using Pipeliner.Core.Diagnostics;

namespace Pipeliner.Core.Syntax;

// The YAML data-transfer objects: the file's shape with positions, no meaning yet.
// Every property is null when the key is absent. The compiler turns them into the validated model.

public sealed class PipelineSyntax
{
    public Scalar? Name { get; set; }
    public TriggersSyntax? On { get; set; }
    public ScalarMap? Variables { get; set; }
    public DefaultsSyntax? Defaults { get; set; }
    public ScalarList? Stages { get; set; }
    public List<JobSyntax> Jobs { get; } = [];
    public SourceLocation? JobsLocation { get; set; }
    public Scalar? Concurrency { get; set; }
}

public sealed class TriggersSyntax
{
    public required SourceLocation Location { get; init; }
    /// <summary>Set when <c>on</c> is written as a list of event names (<c>on: [push, tag]</c>).</summary>
    public ScalarList? Events { get; set; }
    public RefFilterSyntax? Push { get; set; }
    public RefFilterSyntax? PullRequest { get; set; }
    public ScalarList? Schedule { get; set; }
    public Scalar? Manual { get; set; }
}

public sealed class RefFilterSyntax
{
    public required SourceLocation Location { get; init; }
    public ScalarList? Branches { get; set; }
    public ScalarList? Tags { get; set; }
    public ScalarList? Paths { get; set; }
}

public sealed class DefaultsSyntax
{
    public Scalar? Image { get; set; }
    public Scalar? Timeout { get; set; }
    public Scalar? Retry { get; set; }
    public ScalarList? RunsOn { get; set; }
    public ResourcesSyntax? Resources { get; set; }
}

public sealed class ResourcesSyntax
{
    public required SourceLocation Location { get; init; }
    public Scalar? Cpus { get; set; }
    public Scalar? Memory { get; set; }
}

public sealed class JobSyntax
{
    public required Scalar Id { get; init; }
    public Scalar? Stage { get; set; }
    public Scalar? Image { get; set; }
    public ScalarList? Script { get; set; }
    public ScalarList? Needs { get; set; }
    public ConditionSyntax? If { get; set; }
    public Scalar? When { get; set; }
    public Scalar? Environment { get; set; }
    public List<ServiceSyntax>? Services { get; set; }
    public ArtifactsSyntax? Artifacts { get; set; }
    public CacheSyntax? Cache { get; set; }
    public ScalarMap? Variables { get; set; }
    public ScalarList? Secrets { get; set; }
    public Scalar? Timeout { get; set; }
    public Scalar? Retry { get; set; }
    public Scalar? AllowFailure { get; set; }
    public ScalarList? RunsOn { get; set; }
    public ResourcesSyntax? Resources { get; set; }
    public MatrixSyntax? Matrix { get; set; }
}

public sealed class ConditionSyntax
{
    public ScalarList? Branches { get; set; }
    public ScalarList? Tags { get; set; }
    public ScalarList? Events { get; set; }
    public ScalarList? Paths { get; set; }
}

public sealed class ServiceSyntax
{
    public required SourceLocation Location { get; init; }
    public Scalar? Name { get; set; }
    public Scalar? Image { get; set; }
    public ScalarList? Command { get; set; }
    public ScalarMap? Env { get; set; }
}

public sealed class ArtifactsSyntax
{
    public required SourceLocation Location { get; init; }
    public ScalarList? Paths { get; set; }
    public Scalar? Expire { get; set; }
}

public sealed class CacheSyntax
{
    public required SourceLocation Location { get; init; }
    public Scalar? Key { get; set; }
    public ScalarList? Paths { get; set; }
}

public sealed class MatrixSyntax
{
    public required SourceLocation Location { get; init; }
    public List<MatrixAxisSyntax> Axes { get; } = [];
}

public sealed record MatrixAxisSyntax(Scalar Name, ScalarList Values);
