using System.Net;
using Pipeliner.Server.Tests.Auth;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Environments;

/// <summary>The two-person rule compares people, not tokens: a second token of the requester is still the requester.</summary>
public class TwoPersonRuleTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    [Fact]
    public async Task Approve_Returns403_WhenTheRequesterApprovesTheirOwnPromotionWithAnotherToken()
    {
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, app.NewRepository(EnvironmentApi.DeliveryPipeline, "develop"),
            hint: "two-person", defaultBranch: "develop");
        var runId = await admin.TriggerAsync(project, new { branch = "develop" });
        await admin.SetRulesAsync(project, "qa", new { approvals = 1 });
        var requester = await admin.CreateUserAsync("release-manager", "mallory");
        using var laptop = app.Client((await admin.CreateTokenForAsync(requester, "laptop")).Token);
        using var phone = app.Client((await admin.CreateTokenForAsync(requester, "phone")).Token);
        var colleague = await admin.CreateUserAsync("release-manager", "trent");
        using var other = app.Client((await admin.CreateTokenForAsync(colleague, "laptop")).Token);

        var promotion = await (await laptop.PromoteAsync(runId, "qa")).PromotedAsync();
        using var self = await phone.ApproveAsync(runId, "deploy-qa");
        var pending = (await admin.GetRunAsync(runId)).Job("deploy-qa");
        using var approved = await other.ApproveAsync(runId, "deploy-qa");

        Assert.Equal("waiting_for_approval", promotion.Status);
        await self.RefusedAsync(HttpStatusCode.Forbidden, "approvals: 1");
        Assert.Null(pending.ApprovedBy);
        await Api.ExpectAsync(approved, HttpStatusCode.Accepted);
        Assert.Equal(colleague, (await admin.GetRunAsync(runId)).Job("deploy-qa").ApprovedBy);
    }
}
