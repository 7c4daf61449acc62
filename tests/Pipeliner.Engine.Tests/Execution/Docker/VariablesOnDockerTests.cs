using Pipeliner.Core.Runs;
using Pipeliner.Engine.Tests.Support;

namespace Pipeliner.Engine.Tests.Execution.Docker;

/// <summary>Pipeline, job, matrix and predefined variables reach the script as environment.</summary>
[Collection(DockerCollection.Name)]
public sealed class VariablesOnDockerTests(DockerEngineFixture engine) : DockerTest(engine)
{
    [Fact]
    public async Task ExecuteAsync_ExportsPipelineJobMatrixAndPredefinedVariables_WhenScriptRuns()
    {
        const string yaml = """
            stages: [test]
            variables: { GLOBAL: from-pipeline, OVERRIDDEN: by-pipeline, SPACED: "a  b" }
            jobs:
              show:
                stage: test
                image: alpine:3
                matrix: { FLAVOUR: [vanilla, mint] }
                variables: { OVERRIDDEN: by-job, JOB_ONLY: job-value }
                script:
                  - echo "GLOBAL=$GLOBAL OVERRIDDEN=$OVERRIDDEN JOB_ONLY=$JOB_ONLY SPACED=[$SPACED] FLAVOUR=$FLAVOUR"
                  - echo "CI=$CI PIPELINER=$PIPELINER JOB=$PIPELINER_JOB NAME=$PIPELINER_JOB_NAME STAGE=$PIPELINER_STAGE EVENT=$PIPELINER_EVENT BRANCH=$PIPELINER_BRANCH"
                  - echo "RUN=$PIPELINER_RUN_ID PROJECT=$PIPELINER_PROJECT SHA=$PIPELINER_COMMIT_SHA"
            """;
        var commit = Harness.Repository.CommitPipeline(yaml);

        var run = await Harness.RunAsync(yaml, commitSha: commit);

        Assert.Equal(RunStatus.Succeeded, run.Status);
        foreach (var flavour in new[] { "vanilla", "mint" })
        {
            var output = Harness.ScriptOutput(run, $"show ({flavour})").Where(l => !l.StartsWith("$ ", StringComparison.Ordinal)).ToList();
            Assert.Equal(
            [
                $"GLOBAL=from-pipeline OVERRIDDEN=by-job JOB_ONLY=job-value SPACED=[a  b] FLAVOUR={flavour}",
                $"CI=true PIPELINER=true JOB=show ({flavour}) NAME=show STAGE=test EVENT=push BRANCH=main",
                $"RUN={run.Id} PROJECT={Harness.Project} SHA={commit}",
            ], output);
        }
    }
}
