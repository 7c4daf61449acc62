using Pipeliner.Core;
using Pipeliner.Core.Model;
using Pipeliner.Core.Planning;
using Pipeliner.Core.Runs;

namespace Pipeliner.Engine.Tests.Support;

/// <summary>Pipelines written as YAML in the tests, loaded, planned and turned into runs.</summary>
internal static class Plans
{
    public static Pipeline Load(string yaml)
    {
        var loaded = PipelineLoader.Load(yaml);
        return loaded.Pipeline ?? throw new InvalidOperationException(
            "the test pipeline is invalid:\n" + string.Join("\n", loaded.Diagnostics));
    }

    public static TriggerContext Push(string runId, string project = "project", string commitSha = "0000000000000000000000000000000000000000") => new()
    {
        Event = EventKind.Push,
        Branch = "main",
        Project = project,
        RunId = runId,
        CommitSha = commitSha,
    };

    public static Run Run(string yaml, string runId = "1", string project = "project", string commitSha = "0000000000000000000000000000000000000000")
    {
        var plan = PipelinePlanner.Plan(Load(yaml), Push(runId, project, commitSha));
        return new Run(runId, plan, DateTimeOffset.UnixEpoch);
    }

    public static string NewRunId() => "t" + Guid.NewGuid().ToString("N")[..12];
}
