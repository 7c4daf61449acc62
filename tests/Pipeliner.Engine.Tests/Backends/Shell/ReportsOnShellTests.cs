using Pipeliner.Core.Runs;
using Pipeliner.Engine.Reports;
using Pipeliner.Engine.Tests.Support;

namespace Pipeliner.Engine.Tests.Backends.Shell;

/// <summary>The shell backend collects report files through the same backend copy as Docker.</summary>
public sealed class ReportsOnShellTests : IAsyncLifetime
{
    private readonly PipelineHarness _harness = PipelineHarness.OnShell();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task ExecuteAsync_CollectsReportsFromTheWholeWorkspace_WhenTheGlobStartsWithAWildcard()
    {
        const string yaml = """
            stages: [test]
            jobs:
              unit:
                stage: test
                image: alpine:3
                script:
                  - mkdir -p a/b
                  - printf '<testsuites><testsuite><testcase name="t" classname="C"><skipped/></testcase></testsuite></testsuites>' > a/b/TEST-one.xml
                  - printf '<testsuite><testcase name="u" classname="C"/></testsuite>' > TEST-two.xml
                reports: { junit: ["**/TEST-*.xml"] }
            """;

        var run = await _harness.RunAsync(yaml);

        Assert.Equal(RunStatus.Succeeded, run.Status);
        var files = await ReportArchive.ReadAsync(_harness.Layout.Reports(run.Id, "unit", 1), ReportLimits.Default, CancellationToken.None);
        Assert.Equal(["TEST-two.xml", "a/b/TEST-one.xml"], files.Select(f => f.Path).Order(StringComparer.Ordinal));
        var tests = JobReports.Of(files, ReportLimits.Default).Tests!;
        Assert.Equal((2, 1), (tests.Total, tests.Skipped));
    }
}
