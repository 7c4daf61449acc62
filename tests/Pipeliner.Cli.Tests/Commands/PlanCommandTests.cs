using System.Text.Json;
using Pipeliner.Cli.Tests.Running;
using Pipeliner.Cli.Tests.Support;
using Pipeliner.Core;
using Pipeliner.Core.Model;
using Pipeliner.Core.Planning;
using Pipeliner.Core.Reporting;

namespace Pipeliner.Cli.Tests.Commands;

public sealed class PlanCommandTests : IDisposable
{
    private readonly TempDirectory _files = new();
    private readonly string _valid;

    public PlanCommandTests()
    {
        _valid = _files.Write("pipeline.yml", PipelineTexts.Valid);
    }

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Plan_PrintsEveryJobWithDecisionAndNeedsOrReason_WhenTheEventCreatesARun()
    {
        var result = PipelinerCli.Run("plan", _valid, "--event", "push", "--branch", "develop");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(
            [
                "push on develop: a run with 5 job(s): 4 run, 1 skip",
                "",
                "JOB            STAGE   DECISION  NEEDS / REASON",
                "build          build   run",
                "unit (alpine)  test    run       needs build",
                "unit (debian)  test    run       needs build",
                "deploy-dit     deploy  run       needs unit (alpine), unit (debian)",
                "deploy-prod    deploy  skip      if.tags: this event has no tag",
                "                                 needs build, unit (alpine), unit (debian)",
            ],
            result.OutLines);
        Assert.Empty(result.Error);
    }

    [Fact]
    public void Plan_ShortensLongNeeds_WhenAJobWaitsForMoreThanFour()
    {
        var file = _files.Write("wide.yml", """
            stages: [test, report]
            jobs:
              unit: { stage: test, image: x, script: [t], matrix: { N: ["1", "2", "3", "4", "5", "6"] } }
              report: { stage: report, image: x, script: [r] }
            """);

        var result = PipelinerCli.Run("plan", file, "--event", "manual");

        Assert.Contains("report    report  run       needs unit (1), unit (2), unit (3), unit (4) and 2 more", result.OutLines);
    }

    [Theory]
    [InlineData("tag", "--tag", "v1.2.3", "tag v1.2.3: a run with 5 job(s): 3 run, 1 skip, 1 manual")]
    [InlineData("pull_request", "--branch", "develop", "pull request into develop: a run with 5 job(s): 4 run, 1 skip")]
    [InlineData("schedule", null, null, "schedule: a run with 5 job(s): 3 run, 2 skip")]
    [InlineData("schedule", "--branch", "develop", "schedule on develop: a run with 5 job(s): 4 run, 1 skip")]
    public void Plan_SaysWhatTheRunIsFor_InTheFirstLine(string eventName, string? option, string? value, string firstLine)
    {
        string[] args = option is null ? ["plan", _valid, "--event", eventName] : ["plan", _valid, "--event", eventName, option, value!];

        var result = PipelinerCli.Run(args);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(firstLine, result.OutLines[0]);
    }

    [Fact]
    public void Plan_SaysThereIsNoRunAndWhy_WhenTheEventDoesNotTriggerThePipeline()
    {
        var result = PipelinerCli.Run("plan", _valid, "--event", "push", "--branch", "main");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["push on main: no run (on.push.branches: branch 'main' matches none of develop, release/*)"], result.OutLines);
    }

    [Fact]
    public void Plan_PrintsTheJsonContract_WhenJsonIsAsked()
    {
        var result = PipelinerCli.Run("plan", _valid, "--event", "tag", "--tag", "v1.2.3", "--json");

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(result.Error);
        using var json = JsonDocument.Parse(result.Out);
        var root = json.RootElement;
        Assert.True(root.GetProperty("triggered").GetBoolean());
        var jobs = root.GetProperty("jobs").EnumerateArray().ToList();
        Assert.All(jobs, j => Assert.Equal(["id", "stage", "decision", "reason", "needs"], j.EnumerateObject().Select(p => p.Name)));
        Assert.Equal(
            [
                ("build", "build", "run", null, ""),
                ("unit (alpine)", "test", "run", null, "build"),
                ("unit (debian)", "test", "run", null, "build"),
                ("deploy-dit", "deploy", "skip", "if.branches: this event has no branch", "unit (alpine)|unit (debian)"),
                ("deploy-prod", "deploy", "manual", "when: manual: waits for someone to start it", "build|unit (alpine)|unit (debian)"),
            ],
            jobs.Select(j => (
                j.GetProperty("id").GetString(),
                j.GetProperty("stage").GetString(),
                j.GetProperty("decision").GetString(),
                j.GetProperty("reason").GetString(),
                string.Join("|", j.GetProperty("needs").EnumerateArray().Select(n => n.GetString())))));
    }

    [Fact]
    public void Plan_PrintsWhatTheCoreSerializes_WhenJsonIsAsked()
    {
        var result = PipelinerCli.Run("plan", _valid, "--event", "push", "--branch", "release/2.0", "--changed", "src/a.cs", "--changed", "docs/b.md", "--json");

        var pipeline = PipelineLoader.Load(PipelineTexts.Valid).Pipeline!;
        var context = new TriggerContext { Event = EventKind.Push, Branch = "release/2.0", ChangedPaths = ["src/a.cs", "docs/b.md"] };
        Assert.Equal(ReportJson.Serialize(PlanReport.From(PipelinePlanner.Plan(pipeline, context))), result.Out.TrimEnd());
    }

    [Fact]
    public void Plan_PrintsNoJobsAndTheReason_WhenJsonIsAskedAndThereIsNoRun()
    {
        var result = PipelinerCli.Run("plan", _valid, "--event", "pull_request", "--branch", "main", "--json");

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Out);
        Assert.False(json.RootElement.GetProperty("triggered").GetBoolean());
        Assert.Equal("on.pull_request.branches: target branch 'main' matches none of develop", json.RootElement.GetProperty("reason").GetString());
        Assert.Equal(0, json.RootElement.GetProperty("jobs").GetArrayLength());
    }

    [Fact]
    public void Plan_AppliesPathFilters_WhenChangedPathsAreGiven()
    {
        var file = _files.Write("paths.yml", """
            on: { push: { branches: [main], paths: ["services/**"] } }
            stages: [build]
            jobs:
              api: { stage: build, image: x, script: [b], if: { paths: ["services/api/"] } }
              web: { stage: build, image: x, script: [b], if: { paths: ["services/web/"] } }
            """);

        var run = PipelinerCli.Run("plan", file, "--event", "push", "--branch", "main", "--changed", "services/api/Program.cs", "--changed", "README.md");
        var none = PipelinerCli.Run("plan", file, "--event", "push", "--branch", "main", "--changed", "README.md");

        Assert.Equal("push on main: a run with 2 job(s): 1 run, 1 skip", run.OutLines[0]);
        Assert.Contains("web  build  skip      if.paths: none of the 2 changed file(s) matches services/web/", run.OutLines);
        Assert.Equal(["push on main: no run (on.push.paths: none of the 1 changed file(s) matches services/**)"], none.OutLines);
    }

    [Fact]
    public void Plan_PrintsTheErrorsAndExitsOne_WhenThePipelineIsInvalid()
    {
        var file = _files.Write("invalid.yml", PipelineTexts.Invalid);

        var human = PipelinerCli.Run("plan", file, "--event", "manual");
        var json = PipelinerCli.Run("plan", file, "--event", "manual", "--json");

        Assert.Equal(1, human.ExitCode);
        Assert.Equal(3, human.OutLines.Length);
        Assert.StartsWith($"{file}:5:5: error: ", human.OutLines[0], StringComparison.Ordinal);
        Assert.Equal(1, json.ExitCode);
        Assert.Empty(json.Out);
        Assert.Equal(human.OutLines, json.ErrorLines);
    }

    [Theory]
    [InlineData("--event push needs --branch (no branch is checked out here)", "--event", "push")]
    [InlineData("--event push needs --branch (no branch is checked out here)")]
    [InlineData("--event pull_request needs --branch (the target branch)", "--event", "pull_request")]
    [InlineData("--event tag needs --tag", "--event", "tag")]
    [InlineData("--event tag takes --tag, not --branch", "--event", "tag", "--tag", "v1", "--branch", "main")]
    [InlineData("--event push takes --branch, not --tag", "--event", "push", "--branch", "main", "--tag", "v1")]
    [InlineData("--event pull_request takes --branch, not --tag", "--event", "pull_request", "--branch", "main", "--tag", "v1")]
    public void Plan_ExitsTwoWithOneLine_WhenTheEventLacksOrContradictsItsRef(string message, params string[] options)
    {
        var result = PipelinerCli.Run(["plan", _valid, .. options]);

        Assert.Equal(2, result.ExitCode);
        Assert.Empty(result.Out);
        Assert.Equal([message], result.ErrorLines);
    }

    [Theory]
    [InlineData("Argument 'pushh' not recognized. Must be one of:", "--event", "pushh", "--branch", "main")]
    [InlineData("Unrecognized command or argument '--brnach'.", "--event", "push", "--brnach", "main")]
    [InlineData("Required argument missing for option: '--event'.", "--event")]
    public void Plan_ExitsTwoWithUsageHint_WhenArgumentsAreInvalid(string message, params string[] options)
    {
        var result = PipelinerCli.Run(["plan", _valid, .. options]);

        Assert.Equal(2, result.ExitCode);
        Assert.Empty(result.Out);
        Assert.Contains("pipeliner: " + message, result.Error, StringComparison.Ordinal);
        Assert.EndsWith("Run 'pipeliner --help' for usage.", result.Error.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_ChecksArgumentsBeforeTheFile_WhenBothAreWrong()
    {
        var result = PipelinerCli.Run("plan", Path.Combine(_files.Path, "missing.yml"), "--event", "push");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(["--event push needs --branch (no branch is checked out here)"], result.ErrorLines);
    }

    [Fact]
    public void Plan_PlansAPushOfTheCheckedOutBranch_WhenNeitherEventNorBranchIsGiven()
    {
        using var workspace = new RunWorkspace();
        workspace.Commit(PipelineTexts.Valid);
        using (var repository = new LibGit2Sharp.Repository(workspace.Repository))
            LibGit2Sharp.Commands.Checkout(repository, repository.Branches.Add("develop", "HEAD"));

        var result = PipelinerCli.Run("plan", Path.Combine(workspace.Repository, ".pipeliner.yml"));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("push on develop: a run with 5 job(s): 4 run, 1 skip", result.OutLines[0]);
    }
}
