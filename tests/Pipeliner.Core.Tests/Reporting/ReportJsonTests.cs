using System.Text.Json;
using Pipeliner.Core.Diagnostics;
using Pipeliner.Core.Reporting;
using Pipeliner.Core.Tests.Support;

namespace Pipeliner.Core.Tests.Reporting;

public class ReportJsonTests
{
    [Fact]
    public void Serialize_WritesThePlanContract_WhenGivenAPlanReport()
    {
        var plan = Pipelines.Plan("""
            stages: [build, deploy]
            jobs:
              build: { stage: build, image: x, script: [b] }
              "deploy-it": { stage: deploy, image: x, script: [d], if: { branches: [main] } }
            """, Events.Push("feature/é"));

        var json = ReportJson.Serialize(PlanReport.From(plan));

        Assert.Equal("""
            {
              "triggered": true,
              "reason": null,
              "jobs": [
                {
                  "id": "build",
                  "stage": "build",
                  "decision": "run",
                  "reason": null,
                  "needs": []
                },
                {
                  "id": "deploy-it",
                  "stage": "deploy",
                  "decision": "skip",
                  "reason": "if.branches: branch 'feature/é' matches none of main",
                  "needs": [
                    "build"
                  ]
                }
              ]
            }
            """, json.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Serialize_WritesTheValidationContract_WhenGivenDiagnostics()
    {
        var report = ValidationReport.From([new Diagnostic(new SourceLocation(3, 7), "jobs.a: unknown key 'imag' (did you mean 'image'?)")]);

        using var document = JsonDocument.Parse(ReportJson.Serialize(report));

        var root = document.RootElement;
        Assert.Equal(["valid", "errors"], root.EnumerateObject().Select(p => p.Name));
        Assert.False(root.GetProperty("valid").GetBoolean());
        var error = Assert.Single(root.GetProperty("errors").EnumerateArray().ToList());
        Assert.Equal(["line", "column", "message"], error.EnumerateObject().Select(p => p.Name));
        Assert.Equal(3, error.GetProperty("line").GetInt32());
        Assert.Equal(7, error.GetProperty("column").GetInt32());
        Assert.Equal("jobs.a: unknown key 'imag' (did you mean 'image'?)", error.GetProperty("message").GetString());
    }

    [Fact]
    public void From_IsValidWithNoErrors_WhenThereAreNoDiagnostics()
    {
        Assert.Equal("""{"valid":true,"errors":[]}""", Compact(ReportJson.Serialize(ValidationReport.From([]))));
    }

    [Fact]
    public void DeserializePlan_ReadsBackWhatSerializeWrote()
    {
        var report = new PlanReport(false, "the pipeline's 'on' has no schedule", []);

        var copy = ReportJson.DeserializePlan(ReportJson.Serialize(report));

        Assert.NotNull(copy);
        Assert.Equal((report.Triggered, report.Reason, 0), (copy.Triggered, copy.Reason, copy.Jobs.Count));
    }

    [Theory]
    [InlineData(Pipeliner.Core.Planning.JobDecision.Run, "run")]
    [InlineData(Pipeliner.Core.Planning.JobDecision.Skip, "skip")]
    [InlineData(Pipeliner.Core.Planning.JobDecision.Manual, "manual")]
    public void DecisionName_UsesTheContractNames(Pipeliner.Core.Planning.JobDecision decision, string name)
    {
        Assert.Equal(name, PlanReport.DecisionName(decision));
    }

    private static string Compact(string json) => JsonSerializer.Serialize(JsonDocument.Parse(json).RootElement);
}
