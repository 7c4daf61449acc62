using System.Net;
using System.Net.Http.Json;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Environments;

/// <summary>
/// Each rule that refuses a promotion, an approval or a start, without an agent: nothing runs, so the run holds still
/// and only the rules decide.
/// </summary>
public class PromotionRuleTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    private async Task<(HttpClient Admin, string Project, long RunId, int Number)> RunOnAsync(string branch = "develop")
    {
        var repository = app.NewRepository(EnvironmentApi.DeliveryPipeline, branch);
        var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, repository, hint: "rules", defaultBranch: branch);
        var runId = await admin.TriggerAsync(project, new { branch });
        return (admin, project, runId, (await admin.GetRunAsync(runId)).Number);
    }

    private async Task<HttpClient> ClientAsync(Role role) => app.Client(await app.CreateTokenAsync(role));

    [Fact]
    public async Task Promote_Returns403NamingTheRule_WhenTheRoleIsBelowTheDefaultRequiredRole()
    {
        var (admin, project, runId, _) = await RunOnAsync();
        using var _ = admin;
        using var developer = await ClientAsync(Role.Developer);

        using var response = await developer.PromoteAsync(runId, "qa");

        var problem = await response.RefusedAsync(HttpStatusCode.Forbidden, "requiredRole: release-manager");
        Assert.Contains("is a developer; deploying to qa needs release-manager or above", problem.Detail(), StringComparison.Ordinal);
        Assert.Null((await admin.GetRunAsync(runId)).Job("deploy-qa").ApprovedBy);
        var refusal = (await admin.AuditAsync(project)).First();
        Assert.Equal(("promotion.refuse", $"run {runId}"), (refusal.GetProperty("action").GetString(), refusal.GetProperty("target").GetString()));
        Assert.Equal(problem.Detail(), refusal.GetProperty("details").GetString());
    }

    [Fact]
    public async Task Promote_StartsForADeveloper_WhenTheEnvironmentRequiresOnlyDeveloper()
    {
        var (admin, project, runId, _) = await RunOnAsync();
        using var _ = admin;
        await admin.SetRulesAsync(project, "qa", new { requiredRole = "developer" });
        using var developer = await ClientAsync(Role.Developer);

        var promotion = await (await developer.PromoteAsync(runId, "qa")).PromotedAsync();

        Assert.Equal(("started", 0), (promotion.Status, promotion.RequiredApprovals));
        Assert.StartsWith("developer", (await admin.GetRunAsync(runId)).Job("deploy-qa").ApprovedBy, StringComparison.Ordinal);
        Assert.Equal("run.promote", (await admin.AuditAsync(project)).First().GetProperty("action").GetString());
    }

    [Fact]
    public async Task Promote_Returns409NamingTheRule_WhenThePreviousEnvironmentHasNoDeploymentOfTheRun()
    {
        var (admin, project, runId, number) = await RunOnAsync();
        using var _ = admin;
        await admin.SetRulesAsync(project, "qa", new { requires = new[] { "dit" } });

        using var response = await admin.PromoteAsync(runId, "qa");

        var problem = await response.RefusedAsync(HttpStatusCode.Conflict, "requires: dit");
        Assert.Equal($"rule 'requires: dit' refused: dit has no successful deployment of run {number}", problem.Detail());
    }

    [Theory]
    [InlineData("develop", "branches: main, release/*", "branch 'develop'")]
    [InlineData("release/2.0", "tags: v*", "branch 'release/2.0'")]
    public async Task Promote_Returns409NamingTheRule_WhenTheBranchIsNotAllowed(string branch, string rule, string what)
    {
        var (admin, project, runId, number) = await RunOnAsync(branch);
        using var _ = admin;
        object rules = rule.StartsWith("tags", StringComparison.Ordinal)
            ? new { tags = new[] { "v*" } }
            : new { branches = new[] { "main", "release/*" } };
        await admin.SetRulesAsync(project, "prod", rules);

        using var response = await admin.PromoteAsync(runId, "prod");

        var problem = await response.RefusedAsync(HttpStatusCode.Conflict, rule);
        Assert.Equal($"rule '{rule}' refused: run {number} is for {what}, which prod does not accept", problem.Detail());
    }

    [Fact]
    public async Task Promote_Starts_WhenTheBranchMatchesAGlob()
    {
        var (admin, project, runId, _) = await RunOnAsync("release/2.0");
        using var _ = admin;
        await admin.SetRulesAsync(project, "qa", new { branches = new[] { "release/*" }, tags = new[] { "v*" } });

        Assert.Equal("started", (await (await admin.PromoteAsync(runId, "qa")).PromotedAsync()).Status);
    }

    [Fact]
    public async Task Promote_Returns409_WhenTheRunHasNoManualJobForTheEnvironment()
    {
        var (admin, _, runId, number) = await RunOnAsync();
        using var _ = admin;

        using var dit = await admin.PromoteAsync(runId, "dit");
        using var staging = await admin.PromoteAsync(runId, "staging");

        var problem = await dit.RefusedAsync(HttpStatusCode.Conflict, "when: manual");
        Assert.Equal($"rule 'when: manual' refused: run {number} has no manual job for environment dit", problem.Detail());
        await staging.RefusedAsync(HttpStatusCode.Conflict, "when: manual");
    }

    [Fact]
    public async Task Promote_Returns409_WhenTheRunWasPromotedToTheEnvironmentAlready()
    {
        var (admin, _, runId, _) = await RunOnAsync();
        using var _ = admin;
        (await admin.PromoteAsync(runId, "qa")).Dispose();

        using var again = await admin.PromoteAsync(runId, "qa");

        var problem = await again.RefusedAsync(HttpStatusCode.Conflict, "when: manual");
        Assert.Contains("job 'deploy-qa' was started already by admin", problem.Detail(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Approve_CountsOneApprovalByAnotherPerson_WhenTheEnvironmentNeedsTwo()
    {
        var (admin, project, runId, _) = await RunOnAsync();
        using var _ = admin;
        await admin.SetRulesAsync(project, "qa", new { approvals = 2 });
        using var requester = await ClientAsync(Role.ReleaseManager);
        using var second = await ClientAsync(Role.ReleaseManager);
        using var third = await ClientAsync(Role.Admin);

        var promotion = await (await requester.PromoteAsync(runId, "qa")).PromotedAsync();
        using (var again = await requester.PromoteAsync(runId, "qa")) await again.RefusedAsync(HttpStatusCode.Conflict, "approvals: 2");
        using (var self = await requester.ApproveAsync(runId, "deploy-qa")) await self.RefusedAsync(HttpStatusCode.Forbidden, "approvals: 2");
        using (var first = await second.ApproveAsync(runId, "deploy-qa")) await Api.ExpectAsync(first, HttpStatusCode.Accepted);
        using (var twice = await second.ApproveAsync(runId, "deploy-qa")) await Api.ProblemAsync(twice, HttpStatusCode.Conflict);
        var halfway = (await admin.GetRunAsync(runId)).Job("deploy-qa");
        using (var last = await third.ApproveAsync(runId, "deploy-qa")) await Api.ExpectAsync(last, HttpStatusCode.Accepted);

        Assert.Equal(("waiting_for_approval", 2), (promotion.Status, promotion.RequiredApprovals));
        Assert.Null(halfway.ApprovedBy);
        var approved = (await admin.GetRunAsync(runId)).Job("deploy-qa");
        Assert.StartsWith("admin", approved.ApprovedBy, StringComparison.Ordinal);
        var approval = (await admin.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/runs/{runId}", Api.Json))
            .GetProperty("jobs").EnumerateArray().Single(j => j.GetProperty("id").GetString() == "deploy-qa").GetProperty("approval");
        Assert.Equal(2, approval.GetProperty("approvedBy").GetArrayLength());
        Assert.StartsWith("release-manager", approval.GetProperty("requestedBy").GetString(), StringComparison.Ordinal);
        var actions = (await admin.AuditAsync(project)).Select(e => e.GetProperty("action").GetString()).Take(5).ToList();
        Assert.Equal(["job.approve", "job.approve", "promotion.refuse", "promotion.refuse", "run.promote"], actions);
    }

    [Fact]
    public async Task Approve_Returns409NamingTheRule_WhenApprovalsAreNeededButNobodyPromoted()
    {
        var (admin, project, runId, _) = await RunOnAsync();
        using var _ = admin;
        await admin.SetRulesAsync(project, "qa", new { approvals = 1 });

        using var response = await admin.ApproveAsync(runId, "deploy-qa");

        var problem = await response.RefusedAsync(HttpStatusCode.Conflict, "approvals: 1");
        Assert.Contains("nobody asked for 'deploy-qa' to deploy to qa yet", problem.Detail(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Approve_GoesThroughTheEnvironmentRules_WhenTheManualJobHasAnEnvironment()
    {
        var (admin, project, runId, _) = await RunOnAsync();
        using var _ = admin;
        await admin.SetRulesAsync(project, "qa", new { requiredRole = "admin" });
        await admin.SetRulesAsync(project, "prod", new { requiredRole = "developer", requires = new[] { "qa" } });
        using var releaseManager = await ClientAsync(Role.ReleaseManager);
        using var developer = await ClientAsync(Role.Developer);

        using var belowRole = await releaseManager.ApproveAsync(runId, "deploy-qa");
        using var beforeQa = await developer.ApproveAsync(runId, "deploy-prod");
        using var accepted = await admin.ApproveAsync(runId, "deploy-qa");

        await belowRole.RefusedAsync(HttpStatusCode.Forbidden, "requiredRole: admin");
        await beforeQa.RefusedAsync(HttpStatusCode.Conflict, "requires: qa");
        await Api.ExpectAsync(accepted, HttpStatusCode.Accepted);
        Assert.Equal("admin", (await admin.GetRunAsync(runId)).Job("deploy-qa").ApprovedBy);
    }

    [Fact]
    public async Task Approve_Returns403_WhenADeveloperApprovesAManualJobWithoutEnvironment()
    {
        const string pipeline = """
            stages: [deploy]
            defaults: { image: alpine:3 }
            jobs:
              deploy: { stage: deploy, when: manual, script: ["echo deploy"] }

            """;
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, app.NewRepository(pipeline));
        var runId = await admin.TriggerAsync(project);
        using var developer = await ClientAsync(Role.Developer);

        using var response = await developer.ApproveAsync(runId, "deploy");

        await Api.ProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Null((await admin.GetRunAsync(runId)).Job("deploy").ApprovedBy);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"environment\": \"\"}")]
    [InlineData("{\"environment\": \"../qa\"}")]
    public async Task Promote_Returns400ValidationProblem_WhenTheEnvironmentIsMissingOrMalformed(string body)
    {
        var (admin, _, runId, _) = await RunOnAsync();
        using var _ = admin;

        using var response = await admin.PostAsync($"/api/runs/{runId}/promote",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("environment", out var unusedValue));
    }

    [Fact]
    public async Task Promote_Returns404Problem_WhenTheRunDoesNotExist()
    {
        using var admin = app.Client();

        using var response = await admin.PromoteAsync(987654, "qa");

        await Api.ProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Promote_Returns403_WhenTheTokenIsAViewers()
    {
        var (admin, _, runId, _) = await RunOnAsync();
        using var _ = admin;
        using var viewer = await ClientAsync(Role.Viewer);

        using var response = await viewer.PromoteAsync(runId, "qa");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Redeploy_Returns404Problem_WhenTheDeploymentIsUnknown()
    {
        var (admin, project, _, _) = await RunOnAsync();
        using var _ = admin;

        using var response = await admin.RedeployAsync(project, "dit", 424242);
        using var noBody = await admin.PostAsJsonAsync($"/api/projects/{project}/environments/dit/redeploy", new { });

        await Api.ProblemAsync(response, HttpStatusCode.NotFound);
        await Api.ProblemAsync(noBody, HttpStatusCode.BadRequest);
    }
}
