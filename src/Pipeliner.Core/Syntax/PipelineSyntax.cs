using Pipeliner.Core.Diagnostics;

namespace Pipeliner.Core.Syntax;

// The YAML data-transfer objects: the file's shape with positions, no meaning yet.
// Every property is null when the key is absent. The compiler turns them into the validated model.

/// <summary>
/// A mapping with required keys. It remembers which keys were written, even those whose value was rejected or whose
/// name was misspelt, so that a problem is reported once: where it is written, not a second time as a missing key.
/// </summary>
public abstract class MappingSyntax
{
    /// <summary>True when something other than a mapping was written; that is already reported.</summary>
    public bool IsMalformed { get; set; }

    public HashSet<string> WrittenKeys { get; } = new(StringComparer.Ordinal);

    /// <summary>True when <paramref name="key"/> is to be reported as missing.</summary>
    public bool Lacks(string key) => !IsMalformed && !WrittenKeys.Contains(key);
}

public sealed class PipelineSyntax : MappingSyntax
{
    public Scalar? Name { get; set; }
    public TriggersSyntax? On { get; set; }
    public ScalarMap? Variables { get; set; }
    public DefaultsSyntax? Defaults { get; set; }
    public ScalarList? Stages { get; set; }
    public List<JobSyntax> Jobs { get; } = [];
    public SourceLocation? JobsLocation { get; set; }
    public Scalar? Concurrency { get; set; }

    /// <summary>True when <c>jobs</c> is not a mapping; that is already reported.</summary>
    public bool JobsMalformed { get; set; }
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
    public Scalar? Pids { get; set; }
    public Scalar? Log { get; set; }
    public Scalar? Workspace { get; set; }
    public Scalar? Artifacts { get; set; }
}

public sealed class JobSyntax : MappingSyntax
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
    public ReportsSyntax? Reports { get; set; }
    public ScalarMap? Variables { get; set; }
    public ScalarList? Secrets { get; set; }
    public Scalar? Timeout { get; set; }
    public Scalar? Retry { get; set; }
    public Scalar? AllowFailure { get; set; }
    public Scalar? Blocking { get; set; }
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

public sealed class ServiceSyntax : MappingSyntax
{
    public required SourceLocation Location { get; init; }
    public Scalar? Name { get; set; }
    public Scalar? Image { get; set; }
    public ScalarList? Command { get; set; }
    public ScalarMap? Env { get; set; }
}

public sealed class ArtifactsSyntax : MappingSyntax
{
    public required SourceLocation Location { get; init; }
    public ScalarList? Paths { get; set; }
    public Scalar? Expire { get; set; }
}

public sealed class CacheSyntax : MappingSyntax
{
    public required SourceLocation Location { get; init; }
    public Scalar? Key { get; set; }
    public ScalarList? Paths { get; set; }
}

/// <summary>A job's <c>reports:</c> test results (JUnit XML) and static analysis findings (SARIF) to collect, as globs.</summary>
public sealed class ReportsSyntax : MappingSyntax
{
    public required SourceLocation Location { get; init; }
    public ScalarList? Junit { get; set; }
    public ScalarList? Sarif { get; set; }
}

public sealed class MatrixSyntax : MappingSyntax
{
    public required SourceLocation Location { get; init; }
    public List<MatrixAxisSyntax> Axes { get; } = [];
}

public sealed record MatrixAxisSyntax(Scalar Name, ScalarList Values);
