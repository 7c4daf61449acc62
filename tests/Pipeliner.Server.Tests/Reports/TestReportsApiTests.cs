using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pipeliner.Server.Tests.ForgeStatuses;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Reports;

/// <summary>
/// Test and static analysis reports of real runs (the embedded agent on the real Docker engine): the API's shapes, the
/// comparison with the target branch's newest finished run, and the commit status that counts the tests.
/// </summary>
public sealed class TestReportsApiTests(ForgeStatusApp app) : IClassFixture<ForgeStatusApp>
{
    private static string Pipeline(string junit, string sarif = "") => $$"""
        stages: [test]
        defaults: { image: alpine:3 }
        jobs:
          unit:
            stage: test
            script:
              - mkdir -p out
              - printf '%s' '{{junit}}' > out/TEST-unit.xml
              - printf '%s' '{{sarif}}' > out/lint.sarif
              - exit 1
            reports: { junit: [out/*.xml], sarif: [out/*.sarif] }
          smoke:
            stage: test
            script: ["printf '<testsuite><testcase name=\"boots\" classname=\"Smoke\"/></testsuite>' > smoke.xml"]
            reports: { junit: smoke.xml }

        """;

    private const string TwoFailures =
        "<testsuite time=\"2\"><testcase name=\"adds\" classname=\"Calc\"/><testcase name=\"divides\" classname=\"Calc\"><failure message=\"expected 2\">at Calc.divides</failure></testcase>" +
        "<testcase name=\"rounds\" classname=\"Calc\"><error message=\"boom\"/></testcase><testcase name=\"later\" classname=\"Calc\"><skipped/></testcase></testsuite>";

    private const string Sarif =
        "{\"runs\":[{\"tool\":{\"driver\":{\"name\":\"lint\"}},\"results\":[{\"ruleId\":\"no-eval\",\"level\":\"error\",\"message\":{\"text\":\"eval is evil\"},\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":\"src/a.js\"},\"region\":{\"startLine\":3}}}]}]}]}";

    [Fact]
    public async Task Tests_AnswersExactlyTheIssuesShape_WhenAJobFailedWithAJUnitReport()
    {
        await using var forge = await RecordingForge.StartAsync();
        var (client, runId, _) = await StartAsync(forge, Pipeline(TwoFailures, Sarif));
        using var _ = client;
        var run = await client.WaitForFinishAsync(runId);
        Assert.Equal("failed", run.Status);

        using var tests = await client.GetAsync($"/api/runs/{runId}/tests");
        await Api.ExpectAsync(tests, HttpStatusCode.OK);
        var json = JsonDocument.Parse(await tests.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(["total", "failed", "errored", "skipped", "jobs"], json.EnumerateObject().Select(p => p.Name));
        Assert.Equal((5, 1, 1, 1), (json.GetProperty("total").GetInt32(), json.GetProperty("failed").GetInt32(), json.GetProperty("errored").GetInt32(), json.GetProperty("skipped").GetInt32()));
        var jobs = json.GetProperty("jobs").EnumerateArray().ToList();
        Assert.Equal(["unit", "smoke"], jobs.Select(j => j.GetProperty("job").GetString()));
        Assert.Equal(["job", "total", "failed", "errored", "skipped", "failures"], jobs[0].EnumerateObject().Select(p => p.Name));
        var failures = jobs[0].GetProperty("failures").EnumerateArray().ToList();
        Assert.Equal(["name", "className", "message"], failures[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal([("divides", "Calc", "expected 2"), ("rounds", "Calc", "boom")],
            failures.Select(f => (f.GetProperty("name").GetString(), f.GetProperty("className").GetString(), f.GetProperty("message").GetString())));
        Assert.Empty(jobs[1].GetProperty("failures").EnumerateArray());

        var detail = await client.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}/jobs/unit/tests");
        Assert.Equal(2000, detail.GetProperty("durationMs").GetInt64());
        Assert.Equal("at Calc.divides", detail.GetProperty("failures")[0].GetProperty("stackTrace").GetString());

        var findings = await client.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}/findings");
        Assert.Equal((1, 0, 0), (findings.GetProperty("errors").GetInt32(), findings.GetProperty("warnings").GetInt32(), findings.GetProperty("notes").GetInt32()));
        var finding = findings.GetProperty("jobs")[0].GetProperty("findings")[0];
        Assert.Equal(("no-eval", "eval is evil", "src/a.js", 3), (finding.GetProperty("rule").GetString(), finding.GetProperty("message").GetString(),
            finding.GetProperty("path").GetString(), finding.GetProperty("line").GetInt32()));
    }

    [Fact]
    public async Task CommitStatus_SaysHowManyTestsFailed_WhenTheRunHasTestReports()
    {
        await using var forge = await RecordingForge.StartAsync();
        // Statuses go to the repository the webhook names.
        var (client, _, runId, _) = await app.RunFromWebhookAsync(ForgeCase.All["github"], forge, Pipeline(TwoFailures));
        using var _ = client;
        var number = (await client.WaitForFinishAsync(runId)).Number;

        var run = await forge.WaitForAcceptedAsync("pipeliner", "failure");
        var unit = await forge.WaitForAcceptedAsync("pipeliner/unit", "failure");
        var smoke = await forge.WaitForAcceptedAsync("pipeliner/smoke", "success");

        Assert.Equal($"Run #{number} failed: 2 of 5 tests failed", run[^1].Body.GetProperty("description").GetString());
        Assert.Equal("failed: exit code 1; 2 of 4 tests failed", unit[^1].Body.GetProperty("description").GetString());
        Assert.Equal("succeeded; 1 test passed", smoke[^1].Body.GetProperty("description").GetString());
    }

    [Fact]
    public async Task Comparison_TellsNewFailuresFromThoseOfTheTargetBranch_WhenItsNewestRunFailedToo()
    {
        await using var forge = await RecordingForge.StartAsync();
        var (client, baseId, _) = await StartAsync(forge, Pipeline(
            "<testsuite><testcase name=\"divides\" classname=\"Calc\"><failure message=\"old\"/></testcase></testsuite>", Sarif));
        using var _ = client;
        await client.WaitForFinishAsync(baseId);
        var project = (await client.GetRunAsync(baseId)).Project;
        var moreFindings = Sarif[..^4] + ",{\"ruleId\":\"no-var\",\"level\":\"warning\",\"message\":{\"text\":\"use let\"}}]}]}";
        _repositories[project].Commit("more failures", new Dictionary<string, string?> { [".pipeliner.yml"] = Pipeline(TwoFailures, moreFindings) });
        var next = await client.TriggerAsync(project, new { branch = "main" });
        await client.WaitForFinishAsync(next);

        var comparison = await client.GetFromJsonAsync<JsonElement>($"/api/runs/{next}/reports/comparison");

        Assert.Equal(baseId, comparison.GetProperty("base").GetProperty("id").GetInt64());
        Assert.Equal(["rounds"], comparison.GetProperty("newFailures").EnumerateArray().Select(f => f.GetProperty("name").GetString()));
        Assert.Equal(["divides"], comparison.GetProperty("alreadyFailing").EnumerateArray().Select(f => f.GetProperty("name").GetString()));
        Assert.Equal(["no-var"], comparison.GetProperty("newFindings").EnumerateArray().Select(f => f.GetProperty("rule").GetString()));
        Assert.Equal(1, comparison.GetProperty("knownFindings").GetInt32());
    }

    [Fact]
    public async Task Reports_AreNotFound_WhenTheRunDoesNotExist()
    {
        using var client = app.Client();

        foreach (var path in new[] { "tests", "findings", "reports/comparison", "jobs/unit/tests" })
        {
            using var response = await client.GetAsync($"/api/runs/987654/{path}");
            await Api.ExpectAsync(response, HttpStatusCode.NotFound);
        }
    }

    private readonly Dictionary<string, GitRepository> _repositories = [];

    private async Task<(HttpClient Client, long RunId, int Number)> StartAsync(RecordingForge forge, string pipeline)
    {
        var repository = app.NewRepository(pipeline, "main");
        var client = app.Client();
        var project = app.NewProjectName("reports");
        _repositories[project] = repository;
        using (var created = await client.PostAsJsonAsync("/api/projects", new
        {
            name = project, repository = repository.Path, forge = "github", webhookSecret = Secrets.Webhook,
            forgeApiUrl = forge.Url + "/api/v3", forgeToken = ForgeStatusApp.ForgeToken,
        }))
        {
            await Api.ExpectAsync(created, HttpStatusCode.Created);
        }

        var id = await client.TriggerAsync(project, new { branch = "main" });
        return (client, id, (await client.GetRunAsync(id)).Number);
    }
}
