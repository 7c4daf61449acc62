using Pipeliner.Core.Diagnostics;
using Pipeliner.Core.Model;
using Pipeliner.Core.Syntax;

namespace Pipeliner.Core.Compilation;

/// <summary>A compiled job before matrix expansion and needs resolution.</summary>
internal sealed record JobTemplate(Job Job, JobSyntax Syntax, IReadOnlyList<MatrixAxis> Matrix);

internal sealed record MatrixAxis(string Name, IReadOnlyList<string> Values);

/// <summary>Compiles one job's keys: typing, defaults, names. References between jobs come later.</summary>
internal sealed class JobCompiler(ValueParser parse, IReadOnlyList<string> stages, JobDefaults defaults)
{
    public const int MaxRetry = 10;
    public const int MaxMatrixInstances = 256;
    public static readonly TimeSpan DefaultArtifactExpiry = TimeSpan.FromDays(30);

    public JobTemplate? Compile(JobSyntax syntax)
    {
        var path = $"jobs.{syntax.Id.Value}";
        var name = parse.Identifier(syntax.Id, "jobs", "job");
        var stage = CompileStage(syntax, path);
        var image = parse.NonEmpty(syntax.Image, new NodePath(path, "image")) ?? defaults.Image;
        if (image is null && syntax.Lacks("image"))
            parse.Error(syntax.Id.Location, $"{path}: 'image' is required (or set defaults.image)");
        var script = CompileScript(syntax, path);
        var matrix = CompileMatrix(syntax.Matrix, path);
        var when = CompileWhen(syntax.When, path);
        var job = new Job
        {
            Id = name ?? syntax.Id.Value,
            Name = name ?? syntax.Id.Value,
            Stage = stage ?? "",
            StageIndex = stage is null ? -1 : IndexOf(stage),
            Image = image ?? "",
            Script = script,
            Condition = CompileCondition(syntax.If, path),
            When = when,
            Environment = parse.Identifier(syntax.Environment, new NodePath(path, "environment"), "environment"),
            Services = CompileServices(syntax.Services, new NodePath(path, "services")),
            Artifacts = syntax.Artifacts is { } a
                ? new ArtifactsDefinition(CompilePaths(a, a.Paths, a.Location, new NodePath(path, "artifacts.paths")),
                    parse.Duration(a.Expire, new NodePath(path, "artifacts.expire")) ?? DefaultArtifactExpiry)
                : null,
            Cache = syntax.Cache is { } c
                ? new CacheDefinition(parse.NonEmpty(c.Key, new NodePath(path, "cache.key")) ?? "default",
                    CompilePaths(c, c.Paths, c.Location, new NodePath(path, "cache.paths")))
                : null,
            Reports = CompileReports(syntax.Reports, new NodePath(path, "reports")),
            Variables = parse.Variables(syntax.Variables, new NodePath(path, "variables")),
            Secrets = CompileSecrets(syntax.Secrets, new NodePath(path, "secrets")),
            Timeout = parse.Duration(syntax.Timeout, new NodePath(path, "timeout")) ?? defaults.Timeout,
            Retry = parse.Integer(syntax.Retry, new NodePath(path, "retry"), 0, MaxRetry) ?? defaults.Retry,
            AllowFailure = parse.Boolean(syntax.AllowFailure, $"{path}.allow_failure") ?? false,
            Blocking = CompileBlocking(syntax.Blocking, when, path),
            RunsOn = syntax.RunsOn is null ? defaults.RunsOn : parse.Labels(syntax.RunsOn, new NodePath(path, "runs-on")),
            Resources = parse.Resources(syntax.Resources, new NodePath(path, "resources"), defaults.Resources),
            Location = syntax.Id.Location,
        };
        // A job with a bad stage is still returned so that references to it resolve and report nothing twice.
        return name is null ? null : new JobTemplate(job, syntax, matrix);
    }

    private int IndexOf(string stage)
    {
        for (var i = 0; i < stages.Count; i++)
        {
            if (stages[i] == stage) return i;
        }

        return -1;
    }

    private string? CompileStage(JobSyntax syntax, string path)
    {
        if (syntax.Stage is not { } stage)
        {
            if (syntax.Lacks("stage"))
                parse.Error(syntax.Id.Location, $"{path}: 'stage' is required{(stages.Count > 0 ? $" (one of: {string.Join(", ", stages)})" : "")}");
            return null;
        }

        if (IndexOf(stage.Value) >= 0) return stage.Value;
        // Without usable 'stages' (reported where they are written) every job's stage would be reported too.
        if (stages.Count == 0) return null;
        parse.Error(stage.Location,
            $"{path}.stage: stage '{stage.Value}' is not declared in 'stages'{Text.Suggestions.Hint(stage.Value, stages)}; stages are: {string.Join(", ", stages)}");
        return null;
    }

    private List<string> CompileScript(JobSyntax syntax, string path)
    {
        if (syntax.Script is not { } script)
        {
            if (syntax.Lacks("script")) parse.Error(syntax.Id.Location, $"{path}: 'script' is required: the commands the job runs");
            return [];
        }

        if (script.Items.Count == 0) parse.Error(script.Location, $"{path}.script: list at least one command");
        var commands = new List<string>();
        foreach (var line in script.Items)
        {
            if (line.Value.Trim().Length == 0) parse.Error(line.Location, $"{path}.script: a command is empty");
            else commands.Add(line.Value);
        }

        return commands;
    }

    private WhenPolicy CompileWhen(Scalar? when, string path)
    {
        if (when is null) return WhenPolicy.OnSuccess;
        if (WhenPolicyNames.TryParse(when.Value, out var policy)) return policy;
        parse.Error(when.Location,
            $"{path}.when: unknown value '{when.Value}'{Text.Suggestions.Hint(when.Value, WhenPolicyNames.Names)}; use one of {string.Join(", ", WhenPolicyNames.Names)}");
        return WhenPolicy.OnSuccess;
    }

    /// <summary><c>blocking</c> only means something for a manual job: anywhere else it is a mistake worth saying.</summary>
    private bool CompileBlocking(Scalar? blocking, WhenPolicy when, string path)
    {
        var value = parse.Boolean(blocking, $"{path}.blocking") ?? false;
        if (value && blocking is not null && when != WhenPolicy.Manual)
            parse.Error(blocking.Location, $"{path}.blocking: only a 'when: manual' job can block its run; this job is when: {when.ToName()}");
        return value;
    }

    private JobCondition CompileCondition(ConditionSyntax? condition, string jobPath) =>
        condition is null
            ? JobCondition.Always
            : new JobCondition(
                parse.Globs(condition.Branches, new NodePath(jobPath, "if.branches")),
                parse.Globs(condition.Tags, new NodePath(jobPath, "if.tags")),
                parse.Events(condition.Events, new NodePath(jobPath, "if.events")),
                parse.Globs(condition.Paths, new NodePath(jobPath, "if.paths")));

    private List<ServiceDefinition> CompileServices(List<ServiceSyntax>? services, NodePath path)
    {
        var result = new List<ServiceDefinition>();
        if (services is null || services.Count == 0) return result;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (services?.Count ?? 0); i++)
        {
            var service = services![i];
            var itemPath = $"{path}[{i}]";
            if (service.Lacks("name")) parse.Error(service.Location, $"{itemPath}: 'name' is required");
            if (service.Lacks("image")) parse.Error(service.Location, $"{itemPath}: 'image' is required");
            var name = parse.Identifier(service.Name, $"{itemPath}.name", "service");
            var image = parse.NonEmpty(service.Image, $"{itemPath}.image");
            if (name is not null && !seen.Add(name))
                parse.Error(service.Name!.Location, $"{itemPath}.name: another service of this job is already named '{name}'");
            var command = service.Command?.Items.Select(c => c.Value).ToList() ?? [];
            var env = parse.Variables(service.Env, $"{itemPath}.env");
            if (name is not null && image is not null) result.Add(new ServiceDefinition(name, image, command, env));
        }

        return result;
    }

    /// <summary>Artifact or cache paths; when <c>paths</c> is written but rejected, that is already reported.</summary>
    private IReadOnlyList<string> CompilePaths(MappingSyntax owner, ScalarList? paths, SourceLocation location, NodePath path) =>
        paths is null && !owner.Lacks("paths") ? [] : parse.WorkspacePaths(paths, path, location);

    private ReportsDefinition? CompileReports(ReportsSyntax? reports, NodePath path)
    {
        if (reports is null) return null;
        if (!reports.IsMalformed && reports.Junit is null && reports.Sarif is null)
        {
            if (reports.WrittenKeys.Count == 0) parse.Error(reports.Location, $"{path}: list report files under 'junit' or 'sarif', e.g. reports: {{ junit: [build/test-results/**/*.xml] }}");
            return null;
        }

        var junit = parse.WorkspaceGlobs(reports.Junit, path.Child("junit"));
        var sarif = parse.WorkspaceGlobs(reports.Sarif, path.Child("sarif"));
        return junit.Count + sarif.Count == 0 ? null : new ReportsDefinition(junit, sarif);
    }

    private List<string> CompileSecrets(ScalarList? secrets, NodePath path)
    {
        var names = new List<string>();
        foreach (var secret in secrets?.Items ?? [])
        {
            if (parse.VariableName(secret, path) is { } name && !names.Contains(name)) names.Add(name);
        }

        return names;
    }

    private List<MatrixAxis> CompileMatrix(MatrixSyntax? matrix, string path)
    {
        var axes = new List<MatrixAxis>();
        if (matrix is null) return axes;
        if (matrix.Axes.Count == 0)
        {
            if (!matrix.IsMalformed && matrix.WrittenKeys.Count == 0)
                parse.Error(matrix.Location, $"{path}.matrix: list at least one axis, e.g. matrix: {{ OS: [alpine, debian] }}");
            return axes;
        }

        double instances = 1;
        foreach (var axis in matrix.Axes)
        {
            var name = parse.VariableName(axis.Name, new NodePath(path, "matrix"));
            if (axis.Values.Items.Count == 0)
            {
                // Reported, and left out: an axis without values has no combinations to expand.
                parse.Error(axis.Values.Location, $"{path}.matrix.{axis.Name.Value}: list at least one value");
                continue;
            }

            instances *= axis.Values.Items.Count;
            if (name is not null) axes.Add(new MatrixAxis(name, axis.Values.Items.Select(v => v.Value).ToList()));
        }

        if (instances > MaxMatrixInstances)
        {
            parse.Error(matrix.Location,
                $"{path}.matrix: expands to {instances:0} jobs; at most {MaxMatrixInstances} per job");
            return [];
        }

        return axes;
    }
}
