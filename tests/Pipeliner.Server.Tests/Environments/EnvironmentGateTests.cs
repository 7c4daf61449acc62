using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Environments;

/// <summary>
/// An environment's rules gate its automatic jobs too, before any of its secrets are handed out: attacked end to end
/// with real GitHub pushes and pull requests, the real Docker engine and a git repository.
/// </summary>
public class EnvironmentGateTests(AppWithAgent app) : IClassFixture<AppWithAgent>
{
    /// <summary>build prints its whole environment; deploy-prod deploys automatically with prod's token.</summary>
    private const string Pipeline = """
        on: { push: {}, pull_request: {} }
        stages: [build, deploy]
        defaults: { image: alpine:3 }
        jobs:
          build:
            stage: build
            script: ["env | sort"]
          deploy-prod:
            stage: deploy
            environment: prod
            secrets: [DEPLOY_TOKEN]
            script:
              - printf 'token-sha=%s\n' "$(printf '%s' "$DEPLOY_TOKEN" | sha256sum | cut -d' ' -f1)"

        """;

    private sealed record Setup(HttpClient Admin, string Project, GitRepository Repository, string Token) : IDisposable
    {
        public void Dispose() => Admin.Dispose();
    }

    private async Task<Setup> SetUpAsync(string hint, object prodRules)
    {
        var repository = app.NewRepository(Pipeline);
        var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, repository, hint: hint);
        var token = $"prod-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}";
        await admin.SetSecretAsync(project, "DEPLOY_TOKEN", token, "prod");
        await admin.SetRulesAsync(project, "prod", prodRules);
        return new Setup(admin, project, repository, token);
    }

    [Fact]
    public async Task Push_SkipsTheDeploymentNamingTheRuleAndHandsOutNoSecret_WhenTheBranchIsNotAllowed()
    {
        using var setup = await SetUpAsync("gate-branch", new { branches = new[] { "main" }, requiredRole = "developer" });
        var (admin, project, repository, token) = setup;
        repository.CreateBranch("feature/x");

        var run = await admin.WaitForFinishAsync(await app.PushAsync(admin, project, repository.Head(), "feature/x"));

        var refused = $"rule 'branches: main' refused: run {run.Number} is for branch 'feature/x', which prod does not accept";
        Assert.Equal(("succeeded", "skipped", refused), (run.Status, run.Job("deploy-prod").Status, run.Job("deploy-prod").Reason));
        Assert.Empty(run.Job("deploy-prod").Attempts);
        await AssertNoTraceAsync(admin, run, token);
        Assert.Empty((await admin.EnvironmentAsync(project, "prod")).History);

        using var retry = await admin.PostAsJsonAsync($"/api/runs/{run.Id}/retry", new { jobs = new[] { "deploy-prod" } });

        await Api.ExpectAsync(retry, HttpStatusCode.Accepted);
        var retried = await admin.WaitForFinishAsync(run.Id);
        Assert.Equal(("skipped", refused), (retried.Job("deploy-prod").Status, retried.Job("deploy-prod").Reason));
        Assert.Empty(retried.Job("deploy-prod").Attempts);
        Assert.Empty((await admin.EnvironmentAsync(project, "prod")).History);
    }

    [Fact]
    public async Task PullRequest_SkipsTheDeployment_WhenItTargetsTheOnlyAllowedBranch()
    {
        using var setup = await SetUpAsync("gate-pull", new { branches = new[] { "main" }, requiredRole = "developer" });
        var (admin, project, repository, token) = setup;
        repository.CreateBranch("change");
        var head = repository.Commit("a change", new Dictionary<string, string?> { ["change.txt"] = "change\n" });
        repository.Checkout("main");

        var run = await admin.WaitForFinishAsync(await app.PullRequestAsync(admin, project, repository, 5, head, "main", fromFork: false));

        Assert.Equal(("skipped", $"rule 'branches: main' refused: run {run.Number} is for a pull request into 'main', which prod does not accept"),
            (run.Job("deploy-prod").Status, run.Job("deploy-prod").Reason));
        Assert.Empty(run.Job("deploy-prod").Attempts);
        await AssertNoTraceAsync(admin, run, token);
    }

    [Fact]
    public async Task Push_DeploysWithoutAPersonAndRecordsNoUser_WhenEveryRuleAllowsIt()
    {
        using var setup = await SetUpAsync("gate-auto", new { branches = new[] { "main" }, requiredRole = "developer" });
        var (admin, project, repository, token) = setup;

        var run = await admin.WaitForFinishAsync(await app.PushAsync(admin, project, repository.Head(), "main"));

        Assert.Equal(("succeeded", "succeeded"), (run.Status, run.Job("deploy-prod").Status));
        Assert.Contains($"token-sha={Sha256(token)}", await admin.LogAsync(run.Id, "deploy-prod"), StringComparison.Ordinal);
        var deployment = (await admin.EnvironmentAsync(project, "prod")).Current!;
        // The fixture's payload names a pusher; a webhook's names are never taken for a Pipeliner user.
        Assert.Equal((run.Id, (string?)null, (string?)null, run.Trigger), (deployment.RunId, deployment.DeployedBy, deployment.ApprovedBy, deployment.Trigger));
        Assert.StartsWith("webhook ", deployment.Trigger, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_WaitsForAnAdminAndAnotherAdminsApproval_WhenProdNeedsRoleAdminAndOneApproval()
    {
        using var setup = await SetUpAsync("gate-approval", new { branches = new[] { "main" }, requiredRole = "admin", approvals = 1 });
        var (admin, project, repository, token) = setup;

        var runId = await app.PushAsync(admin, project, repository.Head(), "main");

        var waiting = await admin.WaitForRunAsync(runId, r => r.Status == "waiting", "to wait for a person to deploy to prod");
        var held = waiting.Job("deploy-prod");
        Assert.Equal(("pending", true), (held.Status, held.Manual));
        Assert.StartsWith("waiting for approval: rule 'requiredRole: admin' of prod", held.Reason, StringComparison.Ordinal);
        Assert.Empty(held.Attempts);
        await AssertNoTraceAsync(admin, waiting, token);
        using var releaseManager = app.Client(await app.CreateTokenAsync(Role.ReleaseManager));
        using (var refused = await releaseManager.PromoteAsync(runId, "prod")) await refused.RefusedAsync(HttpStatusCode.Forbidden, "requiredRole: admin");
        using var alice = app.Client(await app.CreateTokenAsync(Role.Admin));
        using var bob = app.Client(await app.CreateTokenAsync(Role.Admin));

        var requested = await (await alice.PromoteAsync(runId, "prod")).PromotedAsync();
        Assert.Equal(("waiting_for_approval", 1), (requested.Status, requested.RequiredApprovals));
        using (var self = await alice.ApproveAsync(runId, "deploy-prod")) await self.RefusedAsync(HttpStatusCode.Forbidden, "approvals: 1");
        Assert.Empty((await admin.GetRunAsync(runId)).Job("deploy-prod").Attempts);
        using (var other = await bob.ApproveAsync(runId, "deploy-prod")) await Api.ExpectAsync(other, HttpStatusCode.Accepted);

        var finished = await admin.WaitForFinishAsync(runId);
        Assert.Equal(("succeeded", "succeeded"), (finished.Status, finished.Job("deploy-prod").Status));
        Assert.Contains($"token-sha={Sha256(token)}", await admin.LogAsync(runId, "deploy-prod"), StringComparison.Ordinal);
        var deployment = (await admin.EnvironmentAsync(project, "prod")).Current!;
        Assert.StartsWith("admin", deployment.DeployedBy, StringComparison.Ordinal);
        Assert.StartsWith("admin", deployment.ApprovedBy, StringComparison.Ordinal);
        Assert.NotEqual(deployment.DeployedBy, deployment.ApprovedBy);
    }

    /// <summary>No job that ran had the token in its container: not its value, its digest, nor the variable at all.</summary>
    private static async Task AssertNoTraceAsync(HttpClient admin, RunView run, string token)
    {
        var build = await admin.LogAsync(run.Id, "build");
        Assert.Contains("PIPELINER_", build, StringComparison.Ordinal);
        Assert.DoesNotContain("DEPLOY_TOKEN", build, StringComparison.Ordinal);
        foreach (var job in run.Jobs.Where(j => j.Attempts.Count > 0))
        {
            var log = await admin.LogAsync(run.Id, job.Id);
            Assert.DoesNotContain(token, log, StringComparison.Ordinal);
            Assert.DoesNotContain(Sha256(token), log, StringComparison.Ordinal);
        }
    }

    private static string Sha256(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
}
