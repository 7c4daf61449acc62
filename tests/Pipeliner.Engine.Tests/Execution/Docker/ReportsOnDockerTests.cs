using Pipeliner.Core.Runs;
using Pipeliner.Engine.Reports;
using Pipeliner.Engine.Tests.Support;

namespace Pipeliner.Engine.Tests.Execution.Docker;

/// <summary>Report files are collected from the job's container after its script, also when the script failed.</summary>
[Collection(DockerCollection.Name)]
public sealed class ReportsOnDockerTests(DockerEngineFixture engine) : DockerTest(engine)
{
    [Fact]
    public async Task ExecuteAsync_CollectsTheJUnitReport_WhenTheScriptFails()
    {
        const string yaml = """
            stages: [test]
            jobs:
              unit:
                stage: test
                image: alpine:3
                script:
                  - mkdir -p build/test-results/unit
                  - printf '<testsuite time="3"><testcase name="adds" classname="Calc"/><testcase name="divides" classname="Calc"><failure message="expected 2, was 3">at Calc.divides</failure></testcase></testsuite>' > build/test-results/unit/TEST-calc.xml
                  - printf '<testsuite' > build/test-results/unit/TEST-broken.xml
                  - printf '{"runs":[{"tool":{"driver":{"name":"lint"}},"results":[{"ruleId":"r1","level":"error","message":{"text":"bad"}}]}]}' > lint.sarif
                  - ln -s /etc/passwd build/test-results/unit/TEST-link.xml
                  - exit 3
                reports:
                  junit: [build/test-results/**/*.xml]
                  sarif: ["*.sarif", missing/*.sarif]
            """;

        var run = await Harness.RunAsync(yaml);

        Assert.Equal(RunStatus.Failed, run.Status);
        var attempt = Assert.Single(run.Job("unit").Attempts);
        Assert.Equal(3, attempt.ExitCode);
        var files = await ReportArchive.ReadAsync(Harness.Layout.Reports(run.Id, "unit", 1), ReportLimits.Default, CancellationToken.None);
        var reports = JobReports.Of(files, ReportLimits.Default);
        Assert.True(reports.Tests is not null, string.Join("\n", Harness.LogText(run, "unit")));
        Assert.Equal((2, 1), (reports.Tests!.Total, reports.Tests.Failed));
        Assert.Equal(TimeSpan.FromSeconds(3), reports.Tests.Duration);
        Assert.Equal(("divides", "Calc", "expected 2, was 3"), (reports.Tests.Failures[0].Name, reports.Tests.Failures[0].ClassName, reports.Tests.Failures[0].Message));
        Assert.Equal(1, reports.Findings!.Counts.Errors);
        // The symbolic link is not followed: only regular files are reports.
        Assert.Equal(["build/test-results/unit/TEST-broken.xml", "build/test-results/unit/TEST-calc.xml", "lint.sarif"], files.Select(f => f.Path).Order());
        var log = Harness.LogText(run, "unit");
        Assert.Contains("pipeliner: test report 'build/test-results/unit/TEST-calc.xml': 2 tests, 1 failed, 0 errored, 0 skipped", log);
        Assert.Contains(log, l => l.StartsWith("pipeliner: warning: test report 'build/test-results/unit/TEST-broken.xml' left out: line 1, column", StringComparison.Ordinal));
        Assert.Contains("pipeliner: static analysis report 'lint.sarif': 1 errors, 0 warnings, 0 notes", log);
        Assert.Contains("pipeliner: warning: no file matches the sarif report glob 'missing/*.sarif'", log);
        Assert.Equal("pipeliner: job failed: exit code 3", log[^1]);
    }
}
