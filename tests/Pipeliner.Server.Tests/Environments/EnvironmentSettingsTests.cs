using System.Net;
using System.Net.Http.Json;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Environments;

/// <summary>Environment rules in project settings: set by admins, validated field by field, audited, listed.</summary>
public class EnvironmentSettingsTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    private async Task<(HttpClient Admin, string Project)> ProjectAsync()
    {
        var admin = app.Client();
        return (admin, await admin.CreateProjectAsync(app, app.NewRepository(Pipelines.OneJob), hint: "settings"));
    }

    [Fact]
    public async Task Put_StoresTheRulesAndListsThemInPromotionOrder_WhenValid()
    {
        var (admin, project) = await ProjectAsync();
        using var _ = admin;

        await admin.SetRulesAsync(project, "prod", new { requiredRole = "admin", requires = new[] { "qa" }, approvals = 2, tags = new[] { "v*" } });
        await admin.SetRulesAsync(project, "qa", new { requires = new[] { "dit" }, branches = new[] { "develop", "release/*" } });
        await admin.SetRulesAsync(project, "dit", new { requiredRole = "developer" });
        var environments = await admin.EnvironmentsAsync(project);

        Assert.Equal(["dit", "qa", "prod"], environments.Select(e => e.Name));
        var prod = environments[2];
        Assert.Equal(("admin", 2, true), (prod.Rules.RequiredRole, prod.Rules.Approvals, prod.Rules.Configured));
        Assert.Equal(["qa"], prod.Rules.Requires);
        Assert.Equal(["v*"], prod.Rules.Tags);
        Assert.Equal(["develop", "release/*"], environments[1].Rules.Branches);
        Assert.Null(prod.Current);
        Assert.Empty(prod.History);
    }

    [Fact]
    public async Task Put_ReplacesEarlierRulesAndAuditsEachChange_WhenPutAgain()
    {
        var (admin, project) = await ProjectAsync();
        using var _ = admin;

        await admin.SetRulesAsync(project, "qa", new { approvals = 1, branches = new[] { "main" } });
        await admin.SetRulesAsync(project, "qa", new { requires = new[] { "dit" } });

        var qa = Assert.Single(await admin.EnvironmentsAsync(project));
        Assert.Equal(("release-manager", 0), (qa.Rules.RequiredRole, qa.Rules.Approvals));
        Assert.Empty(qa.Rules.Branches);
        var audit = (await admin.AuditAsync(project)).Where(e => e.GetProperty("action").GetString() == "environment.update").ToList();
        Assert.Equal(2, audit.Count);
        Assert.Equal("environment qa", audit[0].GetProperty("target").GetString());
        Assert.Contains("requires [dit]", audit[0].GetProperty("details").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"requiredRole\": \"superuser\"}", "requiredRole")]
    [InlineData("{\"requiredRole\": \"viewer\"}", "requiredRole")]
    [InlineData("{\"approvals\": -1}", "approvals")]
    [InlineData("{\"approvals\": 11}", "approvals")]
    [InlineData("{\"branches\": [\"release/[\"]}", "branches")]
    [InlineData("{\"tags\": [\"\"]}", "tags")]
    [InlineData("{\"requires\": [\"qa\"]}", "requires")]
    [InlineData("{\"requires\": [\"dit\", \"dit\"]}", "requires")]
    [InlineData("{\"requires\": [\"no spaces\"]}", "requires")]
    public async Task Put_Returns400ValidationProblemNamingTheField_WhenARuleIsInvalid(string body, string field)
    {
        var (admin, project) = await ProjectAsync();
        using var _ = admin;

        using var response = await admin.PutAsync($"/api/projects/{project}/environments/qa",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var unusedValue), problem.GetRawText());
        Assert.Empty(await admin.EnvironmentsAsync(project));
    }

    [Fact]
    public async Task Put_Returns400_WhenTheEnvironmentNameIsMalformed()
    {
        var (admin, project) = await ProjectAsync();
        using var _ = admin;

        using var response = await admin.PutRulesAsync(project, "-qa", new { });

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("environment", out var unusedValue));
    }

    [Theory]
    [InlineData(Role.Viewer)]
    [InlineData(Role.Developer)]
    [InlineData(Role.ReleaseManager)]
    public async Task Put_Returns403_WhenTheTokenIsNotAnAdmins(Role role)
    {
        var (admin, project) = await ProjectAsync();
        using var _ = admin;
        using var client = app.Client(await app.CreateTokenAsync(role));

        using var response = await client.PutRulesAsync(project, "qa", new { approvals = 0 });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(await admin.EnvironmentsAsync(project));
    }

    [Fact]
    public async Task Environments_Return404Problem_WhenTheProjectIsUnknown()
    {
        using var admin = app.Client();

        using var list = await admin.GetAsync("/api/projects/nope/environments");
        using var put = await admin.PutRulesAsync("nope", "qa", new { });

        await Api.ProblemAsync(list, HttpStatusCode.NotFound);
        await Api.ProblemAsync(put, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task List_IsReadable_ByAViewer()
    {
        var (admin, project) = await ProjectAsync();
        using var _ = admin;
        await admin.SetRulesAsync(project, "qa", new { });
        using var viewer = app.Client(await app.CreateTokenAsync(Role.Viewer));

        var environments = await viewer.GetFromJsonAsync<List<EnvironmentView>>($"/api/projects/{project}/environments", Api.Json);

        Assert.Equal(["qa"], environments!.Select(e => e.Name));
    }
}
