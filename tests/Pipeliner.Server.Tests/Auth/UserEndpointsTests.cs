using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Auth;

/// <summary>Admins create, list, change and disable users; a change to a user takes effect at once on all their tokens.</summary>
public abstract class UserEndpointsTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : PipelinerApp
{
    [Fact]
    public async Task Create_Returns201AndListsTheUserWithItsTokenCounts_WhenTheRequestIsValid()
    {
        using var admin = app.Client();
        var name = UserApi.NewName("alice");

        using var response = await admin.PostAsJsonAsync("/api/users", new { name = $"  {name} ", role = "developer" });
        await Api.ExpectAsync(response, HttpStatusCode.Created);
        var created = (await response.Content.ReadFromJsonAsync<UserView>(Api.Json))!;
        await admin.CreateTokenForAsync(name, "laptop");
        var revoked = await admin.CreateTokenForAsync(name, "old laptop");
        (await admin.DeleteAsync($"/api/tokens/{revoked.Id}")).Dispose();

        Assert.Equal((name, "developer", (DateTimeOffset?)null, 0), (created.Name, created.Role, created.DisabledAt, created.Tokens));
        Assert.Equal($"/api/users/{name}", response.Headers.Location?.OriginalString);
        var listed = await admin.UserAsync(name);
        Assert.Equal(("developer", 2, 1), (listed.Role, listed.Tokens, listed.ActiveTokens));
    }

    public static TheoryData<string, string> InvalidUsers => new()
    {
        { """{"name": "x", "role": "root"}""", "role" },
        { """{"name": "x"}""", "role" },
        { """{"name": "", "role": "viewer"}""", "name" },
        { """{"name": "  ", "role": "viewer"}""", "name" },
        { """{"role": "viewer"}""", "name" },
        { """{"name": "a/b", "role": "viewer"}""", "name" },
        { """{"name": "a\u0007b", "role": "viewer"}""", "name" },
        { $$"""{"name": "{{new string('n', 101)}}", "role": "viewer"}""", "name" },
    };

    [Theory]
    [MemberData(nameof(InvalidUsers))]
    public async Task Create_Returns400ValidationProblemNamingTheField_WhenAFieldIsWrong(string body, string field)
    {
        using var admin = app.Client();
        var before = await app.WithDbAsync(db => db.Users.CountAsync());

        using var response = await admin.PostAsync("/api/users", new StringContent(body, Encoding.UTF8, "application/json"));

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors name '{field}': {problem}");
        Assert.Equal(before, await app.WithDbAsync(db => db.Users.CountAsync()));
    }

    [Fact]
    public async Task Create_Returns409_WhenTheNameExistsInAnotherCase()
    {
        using var admin = app.Client();
        var name = await admin.CreateUserAsync("viewer", "Bob");

        using var response = await admin.PostAsJsonAsync("/api/users", new { name = name.ToUpperInvariant(), role = "admin" });

        Assert.Contains($"a user named '{name}' exists already", (await Api.ProblemAsync(response, HttpStatusCode.Conflict)).Detail(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_LowersTheRoleOfEveryTokenAtOnce_WhenTheUsersRoleIsLowered()
    {
        using var admin = app.Client();
        var name = await admin.CreateUserAsync("release-manager", "carol");
        using var laptop = app.Client((await admin.CreateTokenForAsync(name, "laptop")).Token);
        using var ci = app.Client((await admin.CreateTokenForAsync(name, "ci")).Token);
        using (var before = await ci.GetAsync("/api/audit")) Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        using var patch = await admin.PatchUserAsync(name, new { role = "developer" });

        await Api.ExpectAsync(patch, HttpStatusCode.OK);
        Assert.Equal("developer", (await patch.Content.ReadFromJsonAsync<UserView>(Api.Json))!.Role);
        foreach (var client in new[] { laptop, ci })
        {
            using var audit = await client.GetAsync("/api/audit");
            Assert.Equal(HttpStatusCode.Forbidden, audit.StatusCode);
            Assert.Equal("developer", (await client.MeAsync()).GetProperty("role").GetString());
        }
    }

    [Fact]
    public async Task Update_RefusesEveryTokenWith401UntilEnabledAgain_WhenTheUserIsDisabled()
    {
        using var admin = app.Client();
        var name = await admin.CreateUserAsync("developer", "dave");
        using var first = app.Client((await admin.CreateTokenForAsync(name, "one")).Token);
        using var second = app.Client((await admin.CreateTokenForAsync(name, "two")).Token);

        using var disable = await admin.PatchUserAsync(name, new { disabled = true });
        await Api.ExpectAsync(disable, HttpStatusCode.OK);
        using var refusedFirst = await first.GetAsync("/api/projects");
        using var refusedSecond = await second.GetAsync("/api/me");
        using var newToken = await admin.PostAsJsonAsync("/api/tokens", new { user = name, name = "three" });
        using var enable = await admin.PatchUserAsync(name, new { disabled = false });
        using var acceptedAgain = await first.GetAsync("/api/projects");

        Assert.NotNull((await disable.Content.ReadFromJsonAsync<UserView>(Api.Json))!.DisabledAt);
        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized), (refusedFirst.StatusCode, refusedSecond.StatusCode));
        var problem = await Api.ProblemAsync(newToken, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("user", out _), $"errors name 'user': {problem}");
        await Api.ExpectAsync(enable, HttpStatusCode.OK);
        Assert.Null((await admin.UserAsync(name)).DisabledAt);
        Assert.Equal(HttpStatusCode.OK, acceptedAgain.StatusCode);
    }

    [Fact]
    public async Task Update_WritesEachChangeToTheAuditLog_WhenAnAdminChangesAUser()
    {
        using var admin = app.Client();
        var name = await admin.CreateUserAsync("viewer", "erin");

        (await admin.PatchUserAsync(name, new { role = "developer", disabled = true })).Dispose();
        (await admin.PatchUserAsync(name, new { disabled = false })).Dispose();
        (await admin.PatchUserAsync(name, new { role = "developer" })).Dispose();

        var entries = await admin.AuditOfAsync($"user {name}");
        Assert.Equal(["user.enable", "user.disable", "user.update", "user.create"], entries.Select(e => e.GetProperty("action").GetString()));
        Assert.All(entries, e => Assert.Equal("admin", e.GetProperty("actor").GetString()));
        Assert.Equal("role viewer → developer", entries[2].GetProperty("details").GetString());
    }

    public static TheoryData<string> InvalidChanges => new() { "{}", """{"role": null}""", """{"role": "root"}""" };

    [Theory]
    [MemberData(nameof(InvalidChanges))]
    public async Task Update_Returns400NamingRole_WhenTheChangeIsEmptyOrTheRoleUnknown(string body)
    {
        using var admin = app.Client();
        var name = await admin.CreateUserAsync("viewer", "frank");

        using var response = await admin.PatchAsync($"/api/users/{name}", new StringContent(body, Encoding.UTF8, "application/json"));

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("role", out _), $"errors name 'role': {problem}");
        Assert.Equal("viewer", (await admin.UserAsync(name)).Role);
    }

    [Fact]
    public async Task Update_Returns404_WhenNoSuchUserExists()
    {
        using var admin = app.Client();

        using var response = await admin.PatchUserAsync("nobody-here", new { disabled = true });

        Assert.Equal("no user 'nobody-here'", (await Api.ProblemAsync(response, HttpStatusCode.NotFound)).Detail());
    }

    [Fact]
    public async Task Update_Returns403_WhenTheCallerIsNotAnAdmin()
    {
        using var admin = app.Client();
        var name = await admin.CreateUserAsync("viewer", "gina");
        using var releaseManager = app.Client(await app.CreateTokenAsync(Role.ReleaseManager));

        using var response = await releaseManager.PatchUserAsync(name, new { role = "admin" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("viewer", (await admin.UserAsync(name)).Role);
    }
}

/// <summary>The last admin who can still act as one cannot be disabled or demoted (a server of its own).</summary>
public class LastAdminUserTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    [Fact]
    public async Task Update_Returns409UntilAnotherAdminWorks_WhenItWouldLeaveNoWorkingAdmin()
    {
        using var admin = app.Client();
        var other = await admin.CreateUserAsync("admin", "other-admin");

        using var disableSelf = await admin.PatchUserAsync("admin", new { disabled = true });
        using var demoteSelf = await admin.PatchUserAsync("admin", new { role = "release-manager" });
        var otherToken = await admin.CreateTokenForAsync(other, "laptop", role: "release-manager");
        using var demoteWhileOtherTokenIsNoAdmin = await admin.PatchUserAsync("admin", new { role = "developer" });
        using var otherAdmin = app.Client((await admin.CreateTokenForAsync(other, "admin laptop")).Token);
        using var disable = await otherAdmin.PatchUserAsync("admin", new { disabled = true });
        using var disableLast = await otherAdmin.PatchUserAsync(other, new { disabled = true });

        foreach (var refused in new[] { disableSelf, demoteSelf, demoteWhileOtherTokenIsNoAdmin, disableLast })
            Assert.Contains("is the last admin", (await Api.ProblemAsync(refused, HttpStatusCode.Conflict)).Detail(), StringComparison.Ordinal);
        Assert.Equal("release-manager", otherToken.Role);
        await Api.ExpectAsync(disable, HttpStatusCode.OK);
        using var bootstrap = await admin.GetAsync("/api/users");
        Assert.Equal(HttpStatusCode.Unauthorized, bootstrap.StatusCode);
        Assert.Null((await otherAdmin.UserAsync(other)).DisabledAt);
    }
}

/// <summary>The tests above on SQLite.</summary>
public sealed class UserEndpointsTests(AppWithoutAgent app) : UserEndpointsTests<AppWithoutAgent>(app);

/// <summary>The tests above on PostgreSQL.</summary>
[Trait("Database", "postgres")]
public sealed class UserEndpointsOnPostgresTests(AppWithoutAgentOnPostgres app) : UserEndpointsTests<AppWithoutAgentOnPostgres>(app);
