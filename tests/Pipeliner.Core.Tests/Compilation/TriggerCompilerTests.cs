using Pipeliner.Core.Model;
using Pipeliner.Core.Tests.Support;

namespace Pipeliner.Core.Tests.Compilation;

public class TriggerCompilerTests
{
    // Lines 1 to 3; cases add 'on' at line 4.
    private const string Minimal = """
        stages: [build]
        jobs:
          build: { stage: build, image: alpine:3, script: [make] }

        """;

    [Fact]
    public void Load_TriggersOnEveryPushTagAndPullRequestAndManualRuns_WhenOnIsAbsent()
    {
        var triggers = Pipelines.Valid(Minimal).Triggers;

        Assert.Equal(RefTrigger.Any, triggers.Push);
        Assert.Equal(RefTrigger.Any, triggers.Tag);
        Assert.Equal(RefTrigger.Any, triggers.PullRequest);
        Assert.True(triggers.Manual);
        Assert.Empty(triggers.Schedules);
    }

    [Fact]
    public void Load_LimitsPushesToBranches_WhenOnlyBranchesAreNamed()
    {
        var triggers = Pipelines.Valid(Minimal + "on: { push: { branches: [develop, \"release/*\"], paths: [\"src/**\"] } }").Triggers;

        Assert.Equal(["develop", "release/*"], Patterns(triggers.Push?.Refs));
        Assert.Equal(["src/**"], Patterns(triggers.Push?.Paths));
        Assert.Null(triggers.Tag);
        Assert.Null(triggers.PullRequest);
        Assert.True(triggers.Manual);
    }

    [Fact]
    public void Load_LimitsPushesToTags_WhenOnlyTagsAreNamed()
    {
        var triggers = Pipelines.Valid(Minimal + "on: { push: { tags: [\"v*\"] } }").Triggers;

        Assert.Null(triggers.Push);
        Assert.Equal(["v*"], Patterns(triggers.Tag?.Refs));
        Assert.Null(triggers.Tag?.Paths);
    }

    [Fact]
    public void Load_TriggersOnBranchesAndTags_WhenBothAreNamed()
    {
        var triggers = Pipelines.Valid(Minimal + "on: { push: { branches: [main], tags: [\"v*\"] } }").Triggers;

        Assert.Equal(["main"], Patterns(triggers.Push?.Refs));
        Assert.Equal(["v*"], Patterns(triggers.Tag?.Refs));
    }

    [Fact]
    public void Load_TriggersOnAnyBranchAndTag_WhenPushHasOnlyPathsOrNothing()
    {
        var withPaths = Pipelines.Valid(Minimal + "on: { push: { paths: [docs/] } }").Triggers;
        var empty = Pipelines.Valid(Minimal + "on: { push: }").Triggers;

        Assert.Null(withPaths.Push?.Refs);
        Assert.Equal(["docs/"], Patterns(withPaths.Push?.Paths));
        Assert.Equal(RefTrigger.Any, withPaths.Tag);
        Assert.Equal(RefTrigger.Any, empty.Push);
        Assert.Equal(RefTrigger.Any, empty.Tag);
    }

    [Fact]
    public void Load_ReadsPullRequestsScheduleAndManual_WhenGiven()
    {
        var triggers = Pipelines.Valid(Minimal + "on: { pull_request: { branches: [develop], paths: [src/] }, schedule: [\"0 3 * * *\", \"@weekly\"], manual: false }").Triggers;

        Assert.Null(triggers.Push);
        Assert.Null(triggers.Tag);
        Assert.Equal(["develop"], Patterns(triggers.PullRequest?.Refs));
        Assert.Equal(["src/"], Patterns(triggers.PullRequest?.Paths));
        Assert.Equal(["0 3 * * *", "@weekly"], triggers.Schedules.Select(s => s.Expression));
        Assert.False(triggers.Manual);
    }

    [Theory]
    [InlineData("on: push", true, false, false, false)]
    [InlineData("on: [push, tag]", true, true, false, false)]
    [InlineData("on: [pull_request, manual]", false, false, true, true)]
    [InlineData("on: []", false, false, false, false)]
    public void Load_TriggersOnlyTheListedEvents_WhenOnIsAListOfEvents(string on, bool push, bool tag, bool pullRequest, bool manual)
    {
        var triggers = Pipelines.Valid(Minimal + on).Triggers;

        Assert.Equal(push, triggers.Push is not null);
        Assert.Equal(tag, triggers.Tag is not null);
        Assert.Equal(pullRequest, triggers.PullRequest is not null);
        Assert.Equal(manual, triggers.Manual);
        Assert.Empty(triggers.Schedules);
    }

    public static TheoryData<string, int, int, string> Errors => new()
    {
        { Minimal + "on: { schedule: [\"0 25 * * *\"] }", 4, 18, "on.schedule: invalid cron expression '0 25 * * *': hour field '25': value out of range 0-23" },
        { Minimal + "on: { schedule: [\"0 0 30 2 *\"] }", 4, 18, "on.schedule: invalid cron expression '0 0 30 2 *': it never fires" },
        { Minimal + "on: { schedule: [\"0 3 * * *\", nightly] }", 4, 31, "on.schedule: invalid cron expression 'nightly': expected 5 fields" },
        { Minimal + "on: { schedule: [] }", 4, 17, "on.schedule: list at least one cron expression, e.g. \"0 3 * * *\"" },
        { Minimal + "on: { push: { branches: [\"{a,b\"] } }", 4, 26, "on.push.branches: invalid glob '{a,b': '{' is never closed" },
        { Minimal + "on: { push: { tags: [\"v[\"] } }", 4, 22, "on.push.tags: invalid glob 'v[': '[' is never closed" },
        { Minimal + "on: { push: { paths: [\"a**\"] } }", 4, 23, "on.push.paths: invalid glob 'a**': '**' must be a whole path segment" },
        { Minimal + "on: { pull_request: { branches: [\"}\"] } }", 4, 34, "on.pull_request.branches: invalid glob '}': '}' without '{'" },
        { Minimal + "on: { pull_request: { paths: [\"[z-a]\"] } }", 4, 31, "on.pull_request.paths: invalid glob '[z-a]': a range in '[...]' runs backwards" },
        { Minimal + "on: [push, pussh]", 4, 12, "on: unknown event 'pussh' (did you mean 'push'?)" },
        { Minimal + "on: [schedule]", 4, 6, "on: 'schedule' needs cron expressions: write on: { schedule: [\"0 3 * * *\"] }" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Load_ReportsOneErrorAtTheOffendingValue_WhenATriggerIsInvalid(string yaml, int line, int column, string message)
    {
        Pipelines.AssertSingleError(yaml, line, column, message);
    }

    private static IEnumerable<string>? Patterns(IReadOnlyList<GlobPattern>? globs) => globs?.Select(g => g.Pattern);
}
