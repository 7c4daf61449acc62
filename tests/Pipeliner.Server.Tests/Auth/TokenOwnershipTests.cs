using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Auth;

/// <summary>Every token belongs to a user: it acts as that user, with at most the user's role.</summary>
public class TokenOwnershipTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    [Fact]
    public async Task Create_GivesTheTokenTheUsersRole_WhenNoRoleIsGiven()
    {
        using var admin = app.Client();
        var name = await admin.CreateUserAsync("release-manager", "hana");

        var token = await admin.CreateTokenForAsync(name, "laptop");

        Assert.Equal((name, "laptop", "release-manager"), (token.User, token.Name, token.Role));
        var listed = (await admin.GetFromJsonAsync<List<TokenView>>("/api/tokens", Api.Json))!.Single(t => t.Id == token.Id);
        Assert.Equal((name, "laptop", "release-manager"), (listed.User, listed.Name, listed.Role));
    }

    [Fact]
    public async Task Create_GivesATokenThatActsAsItsUser_WhenUsed()
    {
        using var admin = app.Client();
        var name = await admin.CreateUserAsync("developer", "ivan");
        using var client = app.Client((await admin.CreateTokenForAsync(name, "ci")).Token);

        var me = await client.MeAsync();
        var project = await admin.CreateProjectAsync(app, app.NewRepository(Pipelines.OneJob), hint: "ownership");
        var run = await client.GetRunAsync(await client.TriggerAsync(project));

        Assert.Equal((name, name, "ci", "developer"), (me.GetProperty("name").GetString(), me.GetProperty("user").GetString(),
            me.GetProperty("token").GetString(), me.GetProperty("role").GetString()));
        Assert.Equal($"manual by {name}", run.Trigger);
    }

    [Fact]
    public async Task Create_ActsWithTheLowerRole_WhenTheTokensRoleIsBelowTheUsers()
    {
        using var admin = app.Client();
        var name = await admin.CreateUserAsync("admin", "jo");
        using var viewer = app.Client((await admin.CreateTokenForAsync(name, "read only", role: "viewer")).Token);

        using var projects = await viewer.GetAsync("/api/projects");
        using var users = await viewer.GetAsync("/api/users");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.Forbidden), (projects.StatusCode, users.StatusCode));
        Assert.Equal("viewer", (await viewer.MeAsync()).GetProperty("role").GetString());
    }

    [Fact]
    public async Task Create_Returns400NamingRole_WhenTheRoleIsAboveTheUsers()
    {
        using var admin = app.Client();
        var name = await admin.CreateUserAsync("developer", "kim");

        using var response = await admin.PostAsJsonAsync("/api/tokens", new { user = name, name = "sneaky", role = "admin" });

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("at most the user's role, developer", problem.GetProperty("errors").GetProperty("role")[0].GetString());
        Assert.Equal(0, (await admin.UserAsync(name)).Tokens);
    }

    public static TheoryData<string, string> InvalidOwners => new()
    {
        { """{"user": "no-such-user", "name": "x"}""", "user" },
        { """{"user": "  ", "name": "x"}""", "user" },
        { """{"user": "admin", "name": "x", "role": "root"}""", "role" },
        { """{"user": "admin"}""", "name" },
    };

    [Theory]
    [MemberData(nameof(InvalidOwners))]
    public async Task Create_Returns400ValidationProblem_WhenTheUserOrAFieldIsWrong(string body, string field)
    {
        using var admin = app.Client();
        var before = await app.WithDbAsync(db => db.ApiTokens.CountAsync());

        using var response = await admin.PostAsync("/api/tokens", new StringContent(body, Encoding.UTF8, "application/json"));

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors name '{field}': {problem}");
        Assert.Equal(before, await app.WithDbAsync(db => db.ApiTokens.CountAsync()));
    }

    [Fact]
    public async Task Create_AddsTheTokenToTheUserOfItsName_WhenNoUserIsGiven()
    {
        using var admin = app.Client();
        var name = UserApi.NewName("deploy bot");

        using var first = await admin.PostAsJsonAsync("/api/tokens", new { name, role = "release-manager" });
        using var second = await admin.PostAsJsonAsync("/api/tokens", new { name, role = "developer" });
        using var above = await admin.PostAsJsonAsync("/api/tokens", new { name, role = "admin" });
        using var otherCase = await admin.PostAsJsonAsync("/api/tokens", new { name = name.ToUpperInvariant(), role = "viewer" });

        await Api.ExpectAsync(first, HttpStatusCode.Created);
        await Api.ExpectAsync(second, HttpStatusCode.Created);
        Assert.Equal(name, (await second.Content.ReadFromJsonAsync<CreatedTokenView>(Api.Json))!.User);
        var user = await admin.UserAsync(name);
        Assert.Equal(("release-manager", 2), (user.Role, user.Tokens));
        var problem = await Api.ProblemAsync(above, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("role", out _), $"errors name 'role': {problem}");
        var caseProblem = await Api.ProblemAsync(otherCase, HttpStatusCode.BadRequest);
        Assert.True(caseProblem.GetProperty("errors").TryGetProperty("name", out _), $"errors name 'name': {caseProblem}");
        var audit = await admin.AuditOfAsync($"user {name}");
        Assert.Equal(["user.create"], audit.Select(e => e.GetProperty("action").GetString()));
    }

    [Fact]
    public async Task Revoke_Returns409_WhenTheOnlyOtherAdminTokenBelongsToADisabledUser()
    {
        using var admin = app.Client();
        var name = await admin.CreateUserAsync("admin", "lee");
        await admin.CreateTokenForAsync(name, "spare");
        using (var disable = await admin.PatchUserAsync(name, new { disabled = true })) await Api.ExpectAsync(disable, HttpStatusCode.OK);
        var bootstrapId = await app.WithDbAsync(db => db.ApiTokens.Where(t => t.Name == "bootstrap").Select(t => t.Id).SingleAsync());

        using var response = await admin.DeleteAsync($"/api/tokens/{bootstrapId}");

        Assert.Contains("last admin token", (await Api.ProblemAsync(response, HttpStatusCode.Conflict)).Detail(), StringComparison.Ordinal);
        using (var enable = await admin.PatchUserAsync(name, new { disabled = false })) await Api.ExpectAsync(enable, HttpStatusCode.OK);
    }
}
