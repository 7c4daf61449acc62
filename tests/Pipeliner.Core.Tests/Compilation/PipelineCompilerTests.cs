using Pipeliner.Core.Model;
using Pipeliner.Core.Tests.Support;

namespace Pipeliner.Core.Tests.Compilation;

public class PipelineCompilerTests
{
    private const string Job = "  build: { stage: build, image: alpine:3, script: [make] }";

    public static TheoryData<string, int, int, string> Errors => new()
    {
        { $"stages: []\njobs:\n{Job}", 1, 9, "stages: list at least one stage" },
        { $"stages:\njobs:\n{Job}", 1, 8, "stages: list at least one stage" },
        { $"stages: [build, test, build]\njobs:\n{Job}", 1, 23, "stages: 'build' is listed twice" },
        { $"stages: [build, \"te st\"]\njobs:\n{Job}", 1, 17, "stages: invalid stage name 'te st'" },
        { $"stages: [build, \"\"]\njobs:\n{Job}", 1, 17, "stages: the stage name is empty" },
        { $"jobs:\n{Job}", 1, 1, "'stages' is required: the ordered list of stage names, e.g. stages: [build, test, deploy]" },
        { "stages: [build]", 1, 1, "jobs: a pipeline needs at least one job" },
        { "stages: [build]\njobs: {}", 2, 1, "jobs: a pipeline needs at least one job" },
        { "stages: [build]\njobs:\n  .hidden: { stage: build }", 2, 1, "jobs: a pipeline needs at least one job" },
        { $"stages: [build]\njobs:\n{Job}\nconcurrency: sometimes", 4, 14, "concurrency: unknown value 'sometimes'; use parallel or cancel-previous" },
        { $"stages: [build]\nvariables: {{ \"A B\": x }}\njobs:\n{Job}", 2, 14, "variables: invalid variable name 'A B'" },
        { $"stages: [build]\ndefaults: {{ image: \"\" }}\njobs:\n{Job}", 2, 20, "defaults.image: must not be empty" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Load_ReportsOneError_WhenAPipelineLevelKeyIsInvalid(string yaml, int line, int column, string message)
    {
        Pipelines.AssertSingleError(yaml, line, column, message);
    }

    [Fact]
    public void Load_CompilesPipelineLevelKeys_WhenTheyAreValid()
    {
        var pipeline = Pipelines.Valid("""
            name: shop-api
            variables: { APP: shop-api, EMPTY: , NUMBER: 42 }
            stages: [static-analysis, unit-test, package]
            concurrency: cancel-previous
            jobs:
              lint: { stage: static-analysis, image: alpine:3, script: [lint] }
              test: { stage: unit-test, image: alpine:3, script: [test] }
            """);

        Assert.Equal("shop-api", pipeline.Name);
        Assert.Equal(new Dictionary<string, string> { ["APP"] = "shop-api", ["EMPTY"] = "", ["NUMBER"] = "42" }, pipeline.Variables);
        Assert.Equal(["static-analysis", "unit-test", "package"], pipeline.Stages);
        Assert.Equal(ConcurrencyPolicy.CancelPrevious, pipeline.Concurrency);
        Assert.Equal([0, 1], pipeline.Jobs.Select(j => j.StageIndex));
    }

    [Fact]
    public void Load_RunsBranchesSideBySide_WhenConcurrencyIsNotSet()
    {
        var pipeline = Pipelines.Valid($"stages: [build]\njobs:\n{Job}");

        Assert.Equal(ConcurrencyPolicy.Parallel, pipeline.Concurrency);
        Assert.Null(pipeline.Name);
        Assert.Empty(pipeline.Variables);
    }

    [Fact]
    public void Load_AllowsAStageWithoutJobs_WhenOtherStagesHaveSome()
    {
        var pipeline = Pipelines.Valid($"stages: [build, empty]\njobs:\n{Job}");

        Assert.Equal(["build", "empty"], pipeline.Stages);
    }
}
