using Pipeliner.Core.Model;
using Pipeliner.Core.Tests.Support;

namespace Pipeliner.Core.Tests.Compilation;

public class ReportsCompilerTests
{
    private const string Build = """
        stages: [build, test]
        jobs:
          build:
            stage: build
            image: alpine:3
            script: [make]

        """;

    public static TheoryData<string, int, int, string> Errors => new()
    {
        { Build + "    reports: {junit: [../out/*.xml]}", 7, 23, "jobs.build.reports.junit: '../out/*.xml' must be a glob inside the workspace (relative, without '..')" },
        { Build + "    reports: {sarif: [/tmp/a.sarif]}", 7, 23, "jobs.build.reports.sarif: '/tmp/a.sarif' must be a glob inside the workspace (relative, without '..')" },
        { Build + "    reports: {junit: [\"out/[a.xml\"]}", 7, 23, "jobs.build.reports.junit: invalid glob 'out/[a.xml': '[' is never closed" },
        { Build + "    reports: {junit: []}", 7, 22, "jobs.build.reports.junit: list at least one glob, e.g. reports/*.xml" },
        { Build + "    reports: {}", 7, 14, "jobs.build.reports: list report files under 'junit' or 'sarif'" },
        { Build + "    reports: {junitt: [a.xml]}", 7, 15, "jobs.build.reports: unknown key 'junitt' (did you mean 'junit'?)" },
        { Build + "    reports: [a.xml]", 7, 14, "jobs.build.reports: expected a mapping" },
        { Build + "    reports: {junit: {a: b}}", 7, 22, "jobs.build.reports.junit: expected a list of values" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Load_ReportsOneErrorAtTheOffendingValue_WhenReportsAreInvalid(string yaml, int line, int column, string message)
    {
        Pipelines.AssertSingleError(yaml, line, column, message);
    }

    [Fact]
    public void Load_TypesReports_WhenJunitAndSarifGlobsAreGiven()
    {
        var job = Assert.Single(Pipelines.Valid(Build + """
                reports:
                  junit: [build/test-results/**/*.xml, " junit.xml "]
                  sarif: analysis.sarif
            """).Jobs);

        Assert.Equal(["build/test-results/**/*.xml", "junit.xml"], job.Reports!.Junit);
        Assert.Equal(["analysis.sarif"], job.Reports.Sarif);
    }

    [Fact]
    public void Plan_CarriesReportsIntoTheJobSpec_WhenTheJobHasThem()
    {
        var planned = Assert.Single(Pipelines.Plan(Build + "    reports: { junit: [out/*.xml] }\n", Events.Push("main")).Jobs);

        Assert.Equal(["out/*.xml"], planned.Spec.Reports!.Junit);
        Assert.Empty(planned.Spec.Reports.Sarif);
    }
}
