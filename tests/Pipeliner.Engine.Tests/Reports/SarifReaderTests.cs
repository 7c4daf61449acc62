using System.Text;
using Pipeliner.Engine.Reports;

namespace Pipeliner.Engine.Tests.Reports;

public sealed class SarifReaderTests
{
    private static FindingSet Read(string json, ReportLimits? limits = null) =>
        SarifReader.Read(new MemoryStream(Encoding.UTF8.GetBytes(json)), limits ?? ReportLimits.Default);

    [Fact]
    public void Read_GivesEachResultItsSeverityRuleAndLocation_WhenTheReportIsSarif()
    {
        var findings = Read("""
            {
              "version": "2.1.0",
              "runs": [{
                "tool": { "driver": { "name": "semgrep", "rules": [
                  { "id": "sql-injection", "defaultConfiguration": { "level": "error" } },
                  { "id": "todo-comment" } ] } },
                "results": [
                  { "ruleId": "sql-injection", "ruleIndex": 0, "message": { "text": "user input reaches a query" },
                    "locations": [{ "physicalLocation": { "artifactLocation": { "uri": "./src/Orders.cs" }, "region": { "startLine": 42, "startColumn": 9 } } }] },
                  { "ruleId": "todo-comment", "level": "note", "message": { "text": "TODO left" } },
                  { "ruleId": "unused", "message": { "text": "unused variable" } },
                  { "ruleId": "checked", "kind": "pass", "message": { "text": "fine" } }
                ]
              }]
            }
            """);

        Assert.Equal(new FindingCounts(1, 1, 1), findings.Counts);
        Assert.Equal(new Finding("error", "sql-injection", "user input reaches a query", "src/Orders.cs", 42, 9, "semgrep"), findings.Findings[0]);
        Assert.Equal(("note", "todo-comment", (string?)null), (findings.Findings[1].Severity, findings.Findings[1].Rule, findings.Findings[1].Path));
        Assert.Equal("warning", findings.Findings[2].Severity);
    }

    [Fact]
    public void Read_StopsAtTheDepthLimit_WhenValuesNestTooDeep()
    {
        var json = "{\"runs\":" + new string('[', 5000) + new string(']', 5000) + "}";

        var problem = Assert.Throws<ReportFormatException>(() => Read(json)).Message;

        Assert.Equal("line 1, column 72: values nested deeper than 64 levels", problem);
    }

    [Theory]
    [InlineData("{\"version\": \"2.1.0\"}", "not SARIF: the document has no 'runs' list")]
    [InlineData("{\"runs\": [ }", "line 1, column 12: not valid JSON")]
    public void Read_SaysWhy_WhenTheFileIsNotSarif(string json, string expected)
    {
        Assert.Equal(expected, Assert.Throws<ReportFormatException>(() => Read(json)).Message);
    }

    [Fact]
    public void Read_CountsEveryResult_WhileKeepingAtMostTheFindingLimit()
    {
        var results = string.Join(",", Enumerable.Range(0, 30).Select(i => $"{{\"ruleId\":\"r{i}\",\"level\":\"error\",\"message\":{{\"text\":\"m\"}}}}"));

        var findings = Read($"{{\"runs\":[{{\"tool\":{{\"driver\":{{\"name\":\"t\"}}}},\"results\":[{results}]}}]}}", new ReportLimits(MaxFindings: 5));

        Assert.Equal(30, findings.Counts.Errors);
        Assert.Equal(5, findings.Findings.Count);
    }
}
