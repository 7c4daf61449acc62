using Pipeliner.Core.Model;
using Pipeliner.Core.Planning;
using Pipeliner.Core.Tests.Support;

namespace Pipeliner.Core.Tests.Planning;

public class EventMatcherTests
{
    private const string Job = "stages: [build]\njobs:\n  build: { stage: build, image: alpine:3, script: [make] }\n";

    public static TheoryData<string, TriggerContext, string?> Triggers => new()
    {
        // Without 'on': every push, tag and pull request, and manual runs; no schedule.
        { "", Events.Push("main"), null },
        { "", Events.Tag("v1.0.0"), null },
        { "", Events.PullRequest("main"), null },
        { "", Events.Manual(), null },
        { "", Events.Schedule(), "the pipeline's 'on' has no schedule" },
        // Branches only: no tag runs.
        { "on: { push: { branches: [develop, \"release/*\"] } }", Events.Push("develop"), null },
        { "on: { push: { branches: [develop, \"release/*\"] } }", Events.Push("release/1.2"), null },
        { "on: { push: { branches: [develop, \"release/*\"] } }", Events.Push("release/1.2/fix"), "on.push.branches: branch 'release/1.2/fix' matches none of develop, release/*" },
        { "on: { push: { branches: [develop, \"release/*\"] } }", Events.Push("main"), "on.push.branches: branch 'main' matches none of develop, release/*" },
        { "on: { push: { branches: [develop] } }", Events.Tag("v1.0.0"), "the pipeline's 'on' does not include tag pushes" },
        { "on: { push: { branches: [develop] } }", Events.PullRequest("develop"), "the pipeline's 'on' does not include pull requests" },
        { "on: { push: { branches: [develop] } }", Events.Manual(), null },
        { "on: { push: { branches: [develop] } }", Events.Schedule(), "the pipeline's 'on' has no schedule" },
        // Tags only: no branch runs.
        { "on: { push: { tags: [\"v*\"] } }", Events.Tag("v1.2.3"), null },
        { "on: { push: { tags: [\"v*\"] } }", Events.Tag("release-1"), "on.push.tags: tag 'release-1' matches none of v*" },
        { "on: { push: { tags: [\"v*\"] } }", Events.Push("main"), "the pipeline's 'on' does not include branch pushes" },
        // Changed paths: unknown changes match every filter.
        { "on: { push: { branches: [main], paths: [\"src/**\"] } }", Events.Push("main", "src/app/Program.cs"), null },
        { "on: { push: { branches: [main], paths: [\"src/**\"] } }", Events.Push("main", "docs/readme.md", "src/a.cs"), null },
        { "on: { push: { branches: [main], paths: [\"src/**\"] } }", Events.Push("main", "docs/readme.md"), "on.push.paths: none of the 1 changed file(s) matches src/**" },
        { "on: { push: { branches: [main], paths: [\"src/**\"] } }", Events.Push("main"), null },
        { "on: { push: { branches: [main], paths: [\"src/**\"] } }", Events.Push("dev", "src/a.cs"), "on.push.branches: branch 'dev' matches none of main" },
        { "on: { push: { paths: [\"src/**\"] } }", Events.Tag("v1"), null },
        // Pull requests, by target branch.
        { "on: { pull_request: { branches: [develop], paths: [api/] } }", Events.PullRequest("develop", "api/x.cs"), null },
        { "on: { pull_request: { branches: [develop] } }", Events.PullRequest("main"), "on.pull_request.branches: target branch 'main' matches none of develop" },
        { "on: { pull_request: { branches: [develop], paths: [api/] } }", Events.PullRequest("develop", "web/x.ts"), "on.pull_request.paths: none of the 1 changed file(s) matches api/" },
        { "on: { pull_request: { branches: [develop] } }", Events.Push("develop"), "the pipeline's 'on' does not include branch pushes" },
        // Schedules and manual runs.
        { "on: { schedule: [\"0 3 * * *\"] }", Events.Schedule(), null },
        { "on: { schedule: [\"0 3 * * *\"] }", Events.Manual(), null },
        { "on: { schedule: [\"0 3 * * *\"], manual: false }", Events.Manual(), "the pipeline's 'on' does not allow manual runs" },
        { "on: { manual: true }", Events.Push("main"), "the pipeline's 'on' does not include branch pushes" },
        // 'on' as a list of events.
        { "on: [push]", Events.Push("anything/at/all"), null },
        { "on: [push]", Events.Manual(), "the pipeline's 'on' does not allow manual runs" },
        { "on: [tag, manual]", Events.Manual(), null },
    };

    [Theory]
    [MemberData(nameof(Triggers))]
    public void WhyNotTriggered_ExplainsOrReturnsNull_ForTheEventAndOn(string on, TriggerContext context, string? expected)
    {
        var pipeline = Pipelines.Valid(Job + on);

        Assert.Equal(expected, EventMatcher.WhyNotTriggered(pipeline.Triggers, context));
    }

    public static TheoryData<string, TriggerContext, string?> Conditions => new()
    {
        { "{}", Events.Push("main"), null },
        { "{ events: [push, manual] }", Events.Push("main"), null },
        { "{ events: [push, manual] }", Events.Tag("v1"), "if.events: 'tag' is not one of push, manual" },
        { "{ events: [schedule] }", Events.Schedule(), null },
        { "{ branches: [main, \"release/*\"] }", Events.Push("release/2.0"), null },
        { "{ branches: [main] }", Events.Push("develop"), "if.branches: branch 'develop' matches none of main" },
        { "{ branches: [main] }", Events.PullRequest("main"), null },
        { "{ branches: [main] }", Events.Tag("v1"), "if.branches: this event has no branch" },
        { "{ branches: [main] }", Events.Schedule(), "if.branches: this event has no branch" },
        { "{ branches: [main] }", Events.Schedule("main"), null },
        { "{ tags: [\"v*\"] }", Events.Tag("v1.2.3"), null },
        { "{ tags: [\"v*\"] }", Events.Tag("nightly"), "if.tags: tag 'nightly' matches none of v*" },
        { "{ tags: [\"v*\"] }", Events.Push("main"), "if.tags: this event has no tag" },
        { "{ paths: [\"services/api/\", \"libs/**\"] }", Events.Push("main", "libs/core/a.cs"), null },
        { "{ paths: [\"services/api/\"] }", Events.Push("main", "services/web/a.ts", "readme.md"), "if.paths: none of the 2 changed file(s) matches services/api/" },
        { "{ paths: [\"services/api/\"] }", Events.Push("main"), null },
        // Every given filter must match.
        { "{ branches: [main], paths: [\"src/**\"] }", Events.Push("main", "src/a.cs"), null },
        { "{ branches: [main], paths: [\"src/**\"] }", Events.Push("main", "docs/a.md"), "if.paths: none of the 1 changed file(s) matches src/**" },
        { "{ branches: [main], paths: [\"src/**\"] }", Events.Push("dev", "src/a.cs"), "if.branches: branch 'dev' matches none of main" },
        { "{ events: [push], branches: [main] }", Events.PullRequest("main"), "if.events: 'pull_request' is not one of push" },
        { "{ branches: [develop], tags: [\"v*\"] }", Events.Push("develop"), "if.tags: this event has no tag" },
    };

    [Theory]
    [MemberData(nameof(Conditions))]
    public void WhyConditionFails_ExplainsTheFirstFilterThatFails_WhenNotEveryFilterMatches(string condition, TriggerContext context, string? expected)
    {
        var job = Assert.Single(Pipelines.Valid(Job.TrimEnd('\n').TrimEnd('}') + $", if: {condition} }}").Jobs);

        Assert.Equal(expected, EventMatcher.WhyConditionFails(job.Condition, context));
    }

    [Fact]
    public void WhyConditionFails_ReturnsNull_WhenTheJobHasNoCondition()
    {
        Assert.Null(EventMatcher.WhyConditionFails(JobCondition.Always, Events.Tag("v1")));
    }
}
