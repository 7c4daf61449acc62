using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Server.Auth;
using Pipeliner.Server.ForgeStatuses;
using Pipeliner.Server.Projects;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Projects;

/// <summary>The forge API URL and token on <c>POST /api/projects</c>, and <c>PATCH /api/projects/{project}</c>.</summary>
public class ProjectSettingsTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    private const string ForgeToken = "ghp_forge-token-for-tests-0123456789";

    private async Task<string> CreateAsync(HttpClient client, string? forgeApiUrl = null, string? forgeToken = null)
    {
        var name = app.NewProjectName("settings");
        using var response = await client.PostAsJsonAsync("/api/projects", new
        {
            name, repository = app.NewRepository(Pipelines.OneJob).Path, forge = "github", webhookSecret = Secrets.Webhook, forgeApiUrl, forgeToken,
        });
        await Api.ExpectAsync(response, HttpStatusCode.Created);
        return name;
    }

    private static Task<HttpResponseMessage> PatchAsync(HttpClient client, string project, object body) =>
        client.PatchAsJsonAsync($"/api/projects/{project}", body);

    [Fact]
    public async Task Create_ShowsTheForgeApiUrlButNeverTheToken_WhenBothAreGiven()
    {
        using var client = app.Client();
        var name = await CreateAsync(client, "https://api.github.com", ForgeToken);

        using var response = await client.GetAsync($"/api/projects/{name}");

        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(ForgeToken, text, StringComparison.Ordinal);
        var project = JsonSerializer.Deserialize<ProjectView>(text, Api.Json)!;
        Assert.Equal(("https://api.github.com", true), (project.ForgeApiUrl, project.HasForgeToken));
        var listed = await client.GetStringAsync("/api/projects");
        Assert.DoesNotContain(ForgeToken, listed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_StoresTheForgeTokenEncrypted_WhenGiven()
    {
        using var client = app.Client();
        var name = await CreateAsync(client, "https://api.github.com", ForgeToken);

        var stored = await app.WithDbAsync(db => db.Projects.SingleAsync(p => p.Name == name));

        Assert.DoesNotContain(ForgeToken, stored.ForgeTokenProtected!, StringComparison.Ordinal);
        var protector = app.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(ForgeStatusTargets.TokenPurpose);
        Assert.Equal(ForgeToken, protector.Unprotect(stored.ForgeTokenProtected!));
    }

    [Theory]
    [InlineData("api.github.com")]
    [InlineData("ftp://forge.example.com/api")]
    [InlineData("/api/v4")]
    [InlineData("https://gitlab.example.com/api/v4?token=x")]
    public async Task Create_Returns400NamingForgeApiUrl_WhenItIsNotAnAbsoluteHttpUrl(string forgeApiUrl)
    {
        using var client = app.Client();

        using var response = await client.PostAsJsonAsync("/api/projects", new
        {
            name = app.NewProjectName("bad-api"), repository = app.NewRepository(Pipelines.OneJob).Path, forge = "gitlab",
            webhookSecret = Secrets.Webhook, forgeApiUrl,
        });

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(["forgeApiUrl"], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
    }

    [Fact]
    public async Task Update_ChangesTheGivenFieldsAndAuditsTheirNamesOnly_WhenAnAdminPatches()
    {
        using var client = app.Client();
        var name = await CreateAsync(client);

        using var response = await PatchAsync(client, name, new
        {
            forgeApiUrl = "https://gitlab.example.com/api/v4", forgeToken = ForgeToken, defaultBranch = "develop", webhookSecret = "a-new-webhook-secret",
        });

        await Api.ExpectAsync(response, HttpStatusCode.OK);
        var project = (await response.Content.ReadFromJsonAsync<ProjectView>(Api.Json))!;
        Assert.Equal(("https://gitlab.example.com/api/v4", true, "develop", ".pipeliner.yml"),
            (project.ForgeApiUrl, project.HasForgeToken, project.DefaultBranch, project.PipelineFile));
        var audit = await client.GetFromJsonAsync<JsonElement>($"/api/audit?project={name}", Api.Json);
        var update = audit.GetProperty("items").EnumerateArray().First();
        Assert.Equal("project.update", update.GetProperty("action").GetString());
        var details = update.GetProperty("details").GetString()!;
        Assert.Equal("changed forgeApiUrl, forgeToken, defaultBranch, webhookSecret", details);
        Assert.DoesNotContain(ForgeToken, audit.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain("a-new-webhook-secret", audit.GetRawText(), StringComparison.Ordinal);
        var stored = await app.WithDbAsync(db => db.Projects.SingleAsync(p => p.Name == name));
        var protection = app.Services.GetRequiredService<IDataProtectionProvider>();
        Assert.Equal("a-new-webhook-secret", protection.CreateProtector(ProjectEndpoints.SecretPurpose).Unprotect(stored.WebhookSecretProtected));
    }

    [Fact]
    public async Task Update_RemovesTheForgeSettings_WhenGivenEmptyStrings()
    {
        using var client = app.Client();
        var name = await CreateAsync(client, "https://api.github.com", ForgeToken);

        using var response = await PatchAsync(client, name, new { forgeApiUrl = "", forgeToken = "" });

        await Api.ExpectAsync(response, HttpStatusCode.OK);
        var stored = await app.WithDbAsync(db => db.Projects.SingleAsync(p => p.Name == name));
        Assert.Equal((null, null), (stored.ForgeApiUrl, stored.ForgeTokenProtected));
    }

    [Theory]
    [InlineData("""{"webhookSecret": "short"}""", "webhookSecret")]
    [InlineData("""{"defaultBranch": "bad..branch"}""", "defaultBranch")]
    [InlineData("""{"pipelineFile": "../outside.yml"}""", "pipelineFile")]
    [InlineData("""{"forgeApiUrl": "not a url"}""", "forgeApiUrl")]
    [InlineData("""{"forgeToken": "   "}""", "forgeToken")]
    [InlineData("""{"name": "renamed"}""", "name")]
    [InlineData("""{"repository": "/elsewhere"}""", "repository")]
    [InlineData("""{}""", "body")]
    public async Task Update_Returns400NamingTheField_WhenAValueIsInvalid(string body, string field)
    {
        using var client = app.Client();
        var name = await CreateAsync(client);
        var before = await app.WithDbAsync(db => db.Projects.AsNoTracking().SingleAsync(p => p.Name == name));

        using var response = await client.PatchAsync($"/api/projects/{name}", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal([field], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        var after = await app.WithDbAsync(db => db.Projects.AsNoTracking().SingleAsync(p => p.Name == name));
        Assert.Equal((before.DefaultBranch, before.PipelineFile, before.WebhookSecretProtected), (after.DefaultBranch, after.PipelineFile, after.WebhookSecretProtected));
    }

    [Fact]
    public async Task Update_Returns404_WhenTheProjectIsUnknown()
    {
        using var client = app.Client();

        using var response = await PatchAsync(client, "no-such-project", new { defaultBranch = "main" });

        await Api.ProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData(Role.Viewer)]
    [InlineData(Role.Developer)]
    [InlineData(Role.ReleaseManager)]
    public async Task Update_Returns403AndChangesNothing_WhenTheRoleIsBelowAdmin(Role role)
    {
        using var admin = app.Client();
        var name = await CreateAsync(admin);
        using var client = app.Client(await app.CreateTokenAsync(role));

        using var response = await PatchAsync(client, name, new { defaultBranch = "develop" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var stored = await app.WithDbAsync(db => db.Projects.AsNoTracking().SingleAsync(p => p.Name == name));
        Assert.Equal("main", stored.DefaultBranch);
    }
}
