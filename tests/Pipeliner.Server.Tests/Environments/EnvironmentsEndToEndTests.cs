using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Tests.Support;
using Pipeliner.Server.Tests.Webhooks;

namespace Pipeliner.Server.Tests.Environments;

/// <summary>
/// DIT → QA → production on the real server, Docker engine and git repository: a push to develop deploys to DIT, a
/// release manager promotes the same run, whose jobs get the same artifacts by digest, under the environments' rules;
/// the forge sees the run's statuses and the badge turns green.
/// </summary>
public partial class EnvironmentsEndToEndTests(AppWithAgent app) : IClassFixture<AppWithAgent>
{
    [Fact]
    public async Task Promote_DeploysTheSameArtifactsThroughQaToProd_UnderTheEnvironmentRules()
    {
        var repository = app.NewRepository(EnvironmentApi.DeliveryPipeline, branch: "develop");
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, repository, hint: "delivery", defaultBranch: "develop");
        await using var forge = await RecordingForge.StartAsync();
        using (var settings = await admin.PatchAsJsonAsync($"/api/projects/{project}", new { forgeApiUrl = forge.Url + "/api/v3", forgeToken = "forge-token" }))
            await Api.ExpectAsync(settings, HttpStatusCode.OK);
        await admin.SetRulesAsync(project, "qa", new { requires = new[] { "dit" } });
        await admin.SetRulesAsync(project, "prod", new { requires = new[] { "qa" }, approvals = 1 });
        using var alice = app.Client(await app.CreateTokenAsync(Role.ReleaseManager));
        using var bob = app.Client(await app.CreateTokenAsync(Role.ReleaseManager));

        var runId = await PushAsync(admin, project, repository, "develop");
        var waiting = await admin.WaitForRunAsync(runId, r => r.Status == "waiting", "to wait for the promotion to qa", TimeSpan.FromMinutes(2));
        Assert.Equal(("succeeded", "succeeded", "push"), (waiting.Job("package").Status, waiting.Job("deploy-dit").Status, waiting.Event));
        var packaged = Assert.Single(await admin.GetFromJsonAsync<List<ArtifactView>>($"/api/runs/{runId}/artifacts", Api.Json) ?? []);
        var dit = (await admin.EnvironmentAsync(project, "dit")).Current!;
        Assert.Equal((runId, "deploy-dit", repository.Head(), $"#{waiting.Number}"), (dit.RunId, dit.Job, dit.Commit, dit.Version));
        Assert.Equal([new DeployedArtifactView("package", "dist", packaged.Sha256)], dit.Artifacts);

        using (var tooEarly = await alice.PromoteAsync(runId, "prod"))
        {
            var problem = await tooEarly.RefusedAsync(HttpStatusCode.Conflict, "requires: qa");
            Assert.Equal($"rule 'requires: qa' refused: qa has no successful deployment of run {waiting.Number}", problem.Detail());
        }

        Assert.Equal("started", (await (await alice.PromoteAsync(runId, "qa")).PromotedAsync()).Status);
        await admin.WaitForJobAsync(runId, "deploy-qa", "succeeded", TimeSpan.FromMinutes(2));
        var qa = (await admin.EnvironmentAsync(project, "qa")).Current!;
        Assert.Equal(dit.Artifacts, qa.Artifacts);
        Assert.Equal(await DigestPrintedAsync(admin, runId, "deploy-dit"), await DigestPrintedAsync(admin, runId, "deploy-qa"));
        Assert.StartsWith("release-manager", qa.DeployedBy, StringComparison.Ordinal);

        var prodRequest = await (await alice.PromoteAsync(runId, "prod")).PromotedAsync();
        Assert.Equal(("waiting_for_approval", 1), (prodRequest.Status, prodRequest.RequiredApprovals));
        Assert.Equal(["deploy-prod"], prodRequest.Jobs);
        using (var byRequester = await alice.ApproveAsync(runId, "deploy-prod"))
        {
            var problem = await byRequester.RefusedAsync(HttpStatusCode.Forbidden, "approvals: 1");
            Assert.Contains("approval by the requester is refused", problem.Detail(), StringComparison.Ordinal);
        }

        Assert.Equal("pending", (await admin.GetRunAsync(runId)).Job("deploy-prod").Status);
        using (var byAnother = await bob.ApproveAsync(runId, "deploy-prod")) await Api.ExpectAsync(byAnother, HttpStatusCode.Accepted);
        var finished = await admin.WaitForFinishAsync(runId, TimeSpan.FromMinutes(2));
        Assert.Equal("succeeded", finished.Status);
        var prod = (await admin.EnvironmentAsync(project, "prod")).Current!;
        Assert.Equal(dit.Artifacts, prod.Artifacts);
        Assert.Equal(qa.DeployedBy, prod.DeployedBy);
        Assert.NotEqual(prod.DeployedBy, prod.ApprovedBy);
        Assert.StartsWith("release-manager", prod.ApprovedBy, StringComparison.Ordinal);
        Assert.Equal(await DigestPrintedAsync(admin, runId, "deploy-dit"), await DigestPrintedAsync(admin, runId, "deploy-prod"));
        Assert.Single(finished.Job("package").Attempts);

        // The reviewer's view: the forge got the run's states in order, the last one success, and the badge is green.
        var reported = await forge.WaitForAcceptedAsync("pipeliner", "success");
        Assert.Equal(("pending", "success"), (reported[0].State, reported[^1].State));
        Assert.All(reported, request => Assert.Contains($"/statuses/{repository.Head()}", request.RawTarget, StringComparison.Ordinal));
        using var anonymous = app.Client(token: null);
        var badge = await anonymous.GetStringAsync($"/badge/{project}.svg?branch=develop");
        Assert.Contains("pipeliner: passing", badge, StringComparison.Ordinal);

        var actions = (await admin.AuditAsync(project)).Select(e => (e.GetProperty("action").GetString(), e.GetProperty("details").GetString())).ToList();
        Assert.Contains(actions, a => a.Item1 == "promotion.refuse" && a.Item2!.Contains("rule 'requires: qa' refused", StringComparison.Ordinal));
        Assert.Contains(actions, a => a.Item1 == "promotion.refuse" && a.Item2!.Contains("approval by the requester is refused", StringComparison.Ordinal));
        Assert.Equal(2, actions.Count(a => a.Item1 == "run.promote"));
        Assert.Contains(actions, a => a.Item1 == "job.approve" && a.Item2!.Contains("approval 1 of 1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Redeploy_PutsAnEarlierRunBackOnTheEnvironment_WithItsOriginalArtifacts()
    {
        var repository = app.NewRepository(EnvironmentApi.DeliveryPipeline, branch: "develop");
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, repository, hint: "rollback", defaultBranch: "develop");
        var first = await PushAsync(admin, project, repository, "develop");
        await admin.WaitForRunAsync(first, r => r.Status == "waiting", "the first run to deploy to dit", TimeSpan.FromMinutes(2));
        repository.Commit("second change", new Dictionary<string, string?> { ["CHANGES.md"] = "second\n" });
        var second = await PushAsync(admin, project, repository, "develop");
        await admin.WaitForRunAsync(second, r => r.Status == "waiting", "the second run to deploy to dit", TimeSpan.FromMinutes(2));
        var before = await admin.EnvironmentAsync(project, "dit");
        Assert.Equal(second, before.Current!.RunId);
        var earlier = before.History.Single(d => d.RunId == first);
        using var developer = app.Client(await app.CreateTokenAsync(Role.Developer));
        using (var refused = await developer.RedeployAsync(project, "dit", earlier.Id))
            await refused.RefusedAsync(HttpStatusCode.Forbidden, "requiredRole: release-manager");
        using var releaseManager = app.Client(await app.CreateTokenAsync(Role.ReleaseManager));

        var redeploy = await (await releaseManager.RedeployAsync(project, "dit", earlier.Id)).PromotedAsync();

        Assert.Equal(("started", first), (redeploy.Status, redeploy.RunId));
        await admin.WaitForRunAsync(first, r => r.Job("deploy-dit").Attempts.Count == 2 && r.Job("deploy-dit").Status == "succeeded",
            "deploy-dit to run again", TimeSpan.FromMinutes(2));
        var after = await admin.EnvironmentAsync(project, "dit");
        Assert.Equal((first, earlier.Version, earlier.Commit, 2), (after.Current!.RunId, after.Current.Version, after.Current.Commit, after.Current.Attempt));
        Assert.Equal(earlier.Artifacts, after.Current.Artifacts);
        Assert.Equal([after.Current.Id, before.Current.Id, earlier.Id], after.History.Select(d => d.Id));
        Assert.StartsWith("release-manager", after.Current.DeployedBy, StringComparison.Ordinal);
        var audit = await admin.AuditAsync(project);
        Assert.Contains(audit, e => e.GetProperty("action").GetString() == "environment.redeploy"
                                   && e.GetProperty("target").GetString() == $"deployment {earlier.Id} of dit");
    }

    [Fact]
    public async Task Redeploy_WaitsForAnotherPersonsApproval_WhenTheEnvironmentNeedsOne()
    {
        var repository = app.NewRepository(EnvironmentApi.DeliveryPipeline, branch: "develop");
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, repository, hint: "redeploy-approval", defaultBranch: "develop");
        var runId = await PushAsync(admin, project, repository, "develop");
        await admin.WaitForRunAsync(runId, r => r.Status == "waiting", "the run to deploy to dit", TimeSpan.FromMinutes(2));
        var deployed = (await admin.EnvironmentAsync(project, "dit")).Current!;
        await admin.SetRulesAsync(project, "dit", new { approvals = 1 });
        using var alice = app.Client(await app.CreateTokenAsync(Role.ReleaseManager));
        using var bob = app.Client(await app.CreateTokenAsync(Role.ReleaseManager));

        var redeploy = await (await alice.RedeployAsync(project, "dit", deployed.Id)).PromotedAsync();
        var waiting = (await admin.GetRunAsync(runId)).Job("deploy-dit");
        using (var twice = await bob.RedeployAsync(project, "dit", deployed.Id))
        {
            var problem = await twice.RefusedAsync(HttpStatusCode.Conflict, "redeploy");
            Assert.Contains("job 'deploy-dit' of run", problem.Detail(), StringComparison.Ordinal);
        }

        using (var self = await alice.ApproveAsync(runId, "deploy-dit")) await self.RefusedAsync(HttpStatusCode.Forbidden, "approvals: 1");
        using (var other = await bob.ApproveAsync(runId, "deploy-dit")) await Api.ExpectAsync(other, HttpStatusCode.Accepted);

        Assert.Equal("waiting_for_approval", redeploy.Status);
        Assert.Equal(("pending", 1), (waiting.Status, waiting.Attempts.Count));
        await admin.WaitForRunAsync(runId, r => r.Job("deploy-dit").Attempts.Count == 2 && r.Job("deploy-dit").Status == "succeeded",
            "deploy-dit to run again", TimeSpan.FromMinutes(2));
        var again = (await admin.EnvironmentAsync(project, "dit")).Current!;
        Assert.NotEqual(deployed.Id, again.Id);
        Assert.Equal(deployed.Artifacts, again.Artifacts);
        Assert.StartsWith("release-manager", again.DeployedBy, StringComparison.Ordinal);
        Assert.StartsWith("release-manager", again.ApprovedBy, StringComparison.Ordinal);
        Assert.NotEqual(again.DeployedBy, again.ApprovedBy);
    }

    [Fact]
    public async Task Retry_PutsAManualDeploymentJobBackToWaitingForPeople_WhenItRanAlready()
    {
        var repository = app.NewRepository(EnvironmentApi.DeliveryPipeline, branch: "develop");
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, repository, hint: "retry-deploy", defaultBranch: "develop");
        var runId = await PushAsync(admin, project, repository, "develop");
        await admin.WaitForRunAsync(runId, r => r.Status == "waiting", "the run to deploy to dit", TimeSpan.FromMinutes(2));
        (await admin.PromoteAsync(runId, "qa")).Dispose();
        await admin.WaitForJobAsync(runId, "deploy-qa", "succeeded", TimeSpan.FromMinutes(2));
        using var developer = app.Client(await app.CreateTokenAsync(Role.Developer));

        using var retry = await developer.PostAsJsonAsync($"/api/runs/{runId}/retry", new { jobs = new[] { "deploy-qa" } });

        await Api.ExpectAsync(retry, HttpStatusCode.Accepted);
        var job = (await admin.GetRunAsync(runId)).Job("deploy-qa");
        Assert.Equal(("pending", "waiting for approval", null), (job.Status, job.Reason, job.ApprovedBy));
        Assert.Single(job.Attempts);
        using var byDeveloper = await developer.PromoteAsync(runId, "qa");
        await byDeveloper.RefusedAsync(HttpStatusCode.Forbidden, "requiredRole: release-manager");
    }

    /// <summary>A push of <paramref name="branch"/> at the repository's head, as GitHub delivers it; returns the run it made.</summary>
    private Task<long> PushAsync(HttpClient client, string project, GitRepository repository, string branch) =>
        app.PushAsync(client, project, repository.Head(), branch);

    /// <summary>The digest the job's <c>sha256sum dist/app.txt</c> printed: what it really had in its workspace.</summary>
    private static async Task<string> DigestPrintedAsync(HttpClient client, long runId, string job)
    {
        var match = DigestLine().Match(await client.LogAsync(runId, job));
        Assert.True(match.Success, $"{job} printed no digest");
        return match.Groups[1].Value;
    }

    [GeneratedRegex(@"([0-9a-f]{64})\s+dist/app\.txt")]
    private static partial Regex DigestLine();
}
