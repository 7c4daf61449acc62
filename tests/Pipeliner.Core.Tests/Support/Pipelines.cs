using Pipeliner.Core.Diagnostics;
using Pipeliner.Core.Model;
using Pipeliner.Core.Planning;

namespace Pipeliner.Core.Tests.Support;

/// <summary>Loads and plans pipeline text, failing the test with every diagnostic when the outcome is not the expected one.</summary>
internal static class Pipelines
{
    public static Pipeline Valid(string yaml)
    {
        var result = PipelineLoader.Load(yaml);
        Assert.True(result.IsValid, "expected a valid pipeline, got:\n" + Describe(result.Diagnostics));
        return result.Pipeline!;
    }

    public static IReadOnlyList<Diagnostic> Errors(string yaml)
    {
        var result = PipelineLoader.Load(yaml);
        Assert.False(result.IsValid, "expected errors, the pipeline is valid");
        Assert.NotEmpty(result.Diagnostics);
        return result.Diagnostics;
    }

    /// <summary>Asserts exactly one diagnostic, at <paramref name="line"/>:<paramref name="column"/>, containing <paramref name="message"/>.</summary>
    public static void AssertSingleError(string yaml, int line, int column, string message)
    {
        var errors = Errors(yaml);
        Assert.True(errors.Count == 1, "expected exactly one error, got:\n" + Describe(errors));
        var error = errors[0];
        Assert.True(error.Location == new SourceLocation(line, column) && error.Message.Contains(message, StringComparison.Ordinal),
            $"expected {line}:{column} containing \"{message}\", got:\n{Describe(errors)}");
    }

    public static ExecutionPlan Plan(string yaml, TriggerContext context) => PipelinePlanner.Plan(Valid(yaml), context);

    public static PlannedJob Job(this ExecutionPlan plan, string id) =>
        plan.Jobs.SingleOrDefault(j => j.Id == id)
        ?? throw new Xunit.Sdk.XunitException($"no job '{id}' in the plan; jobs: {string.Join(", ", plan.Jobs.Select(j => j.Id))}");

    public static string Describe(IEnumerable<Diagnostic> diagnostics) => string.Join("\n", diagnostics.Select(d => "  " + d));
}

/// <summary>Trigger contexts for the five events.</summary>
internal static class Events
{
    public static TriggerContext Push(string branch, params string[] changed) =>
        new() { Event = EventKind.Push, Branch = branch, ChangedPaths = changed.Length == 0 ? null : changed };

    public static TriggerContext PullRequest(string targetBranch, params string[] changed) =>
        new() { Event = EventKind.PullRequest, Branch = targetBranch, ChangedPaths = changed.Length == 0 ? null : changed };

    public static TriggerContext Tag(string tag) => new() { Event = EventKind.Tag, Tag = tag };

    public static TriggerContext Schedule(string? branch = null) => new() { Event = EventKind.Schedule, Branch = branch };

    public static TriggerContext Manual(string? branch = null) => new() { Event = EventKind.Manual, Branch = branch };
}
