using Pipeliner.Core.Model;
using Pipeliner.Core.Planning;
using Pipeliner.Core.Tests.Support;

namespace Pipeliner.Core.Tests.Planning;

public class PredefinedVariablesTests
{
    private const string Pipeline = """
        variables: { CI: "false", REGION: eu, TIER: free, OS: from-pipeline, PIPELINER_JOB: mine }
        stages: [test]
        jobs:
          unit:
            stage: test
            image: "${OS}"
            script: [make test]
            variables: { TIER: paid, OS: from-job, EXTRA: "1" }
            matrix: { OS: [alpine], VERSION: ["3.19"] }
        """;

    [Fact]
    public void Plan_GivesEveryJobThePredefinedVariables_WhenPlanningARun()
    {
        var context = new TriggerContext
        {
            Event = EventKind.Push,
            Branch = "develop",
            Project = "shop-api",
            RunId = "42",
            CommitSha = "0123abcd",
        };

        var variables = Pipelines.Plan(Pipeline, context).Job("unit (alpine, 3.19)").Spec.Variables;

        Assert.Equal("true", variables["CI"]);
        Assert.Equal("shop-api", variables["PIPELINER_PROJECT"]);
        Assert.Equal("42", variables["PIPELINER_RUN_ID"]);
        Assert.Equal("unit (alpine, 3.19)", variables["PIPELINER_JOB"]);
        Assert.Equal("unit", variables["PIPELINER_JOB_NAME"]);
        Assert.Equal("test", variables["PIPELINER_STAGE"]);
        Assert.Equal("push", variables["PIPELINER_EVENT"]);
        Assert.Equal("develop", variables["PIPELINER_BRANCH"]);
        Assert.Equal("", variables["PIPELINER_TAG"]);
        Assert.Equal("0123abcd", variables["PIPELINER_COMMIT_SHA"]);
        Assert.Equal("alpine", variables["OS"]);
        Assert.Equal("3.19", variables["VERSION"]);
    }

    [Fact]
    public void Plan_AppliesVariablePrecedence_PipelineThenJobThenMatrixThenPredefined()
    {
        var variables = Pipelines.Plan(Pipeline, Events.Tag("v1.0.0")).Job("unit (alpine, 3.19)").Spec.Variables;

        Assert.Equal("eu", variables["REGION"]);
        Assert.Equal("paid", variables["TIER"]);
        Assert.Equal("1", variables["EXTRA"]);
        Assert.Equal("alpine", variables["OS"]);
        Assert.Equal("true", variables["CI"]);
        Assert.Equal("unit (alpine, 3.19)", variables["PIPELINER_JOB"]);
        Assert.Equal("tag", variables["PIPELINER_EVENT"]);
        Assert.Equal("", variables["PIPELINER_BRANCH"]);
        Assert.Equal("v1.0.0", variables["PIPELINER_TAG"]);
    }

    [Theory]
    [InlineData(EventKind.Push, "push")]
    [InlineData(EventKind.PullRequest, "pull_request")]
    [InlineData(EventKind.Tag, "tag")]
    [InlineData(EventKind.Schedule, "schedule")]
    [InlineData(EventKind.Manual, "manual")]
    public void For_NamesTheEvent_AsInPipelineFiles(EventKind kind, string name)
    {
        var job = Assert.Single(Pipelines.Valid("stages: [a]\njobs:\n  j: { stage: a, image: x, script: [s] }").Jobs);

        var variables = PredefinedVariables.For(job, new TriggerContext { Event = kind });

        Assert.Equal(name, variables["PIPELINER_EVENT"]);
        Assert.Equal("j", variables["PIPELINER_JOB"]);
        Assert.Equal("", variables["PIPELINER_PROJECT"]);
    }
}
