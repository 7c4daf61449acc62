using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Auth;

/// <summary>An admin sets or resets a user's password; a user changes their own, proving the current one.</summary>
public sealed class PasswordEndpointsTests(SessionApp app) : IClassFixture<SessionApp>
{
    [Fact]
    public async Task PatchUser_SetsAHashedPasswordAndEndsTheUsersSessions_WhenAnAdminResetsIt()
    {
        var name = await app.CreateUserWithPasswordAsync(Role.Developer, "reset");
        using var before = await app.SignInAsync(name);
        using var admin = app.Client();

        using var response = await admin.PatchUserAsync(name, new { password = "a brand new secret" });

        await Api.ExpectAsync(response, HttpStatusCode.OK);
        var user = (await response.Content.ReadFromJsonAsync<UserView>(Api.Json))!;
        Assert.True(user.HasPassword);
        var hash = await app.WithDbAsync(db => db.Users.Where(u => u.Name == name).Select(u => u.PasswordHash).SingleAsync());
        Assert.DoesNotContain("a brand new secret", hash!, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await before.Http.GetAsync("/api/projects")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Browser().PostSessionAsync(name, SessionApi.Password)).StatusCode);
        using var after = await app.SignInAsync(name, "a brand new secret");
        Assert.Contains(await admin.AuditOfAsync($"user {name}"), e => e.GetProperty("action").GetString() == "user.password.set"
            && !e.GetProperty("details").GetString()!.Contains("secret", StringComparison.Ordinal));
    }

    public static TheoryData<string> WeakPasswords => new() { "short", "", new string('x', 1025) };

    [Theory]
    [MemberData(nameof(WeakPasswords))]
    public async Task PatchUser_Returns400NamingPassword_WhenItBreaksThePolicy(string password)
    {
        using var admin = app.Client();
        var name = await admin.CreateUserAsync("viewer", "weak");

        using var response = await admin.PatchUserAsync(name, new { password });

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("password", out _), problem.ToString());
        Assert.False((await admin.UserAsync(name)).HasPassword);
    }

    [Fact]
    public async Task PatchUser_Returns400_WhenThePasswordIsTheUserName()
    {
        using var admin = app.Client();
        var name = await admin.CreateUserAsync("viewer", "samesame-long-name");
        using var response = await admin.PatchUserAsync(name, new { password = name });
        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("user name", problem.GetProperty("errors").GetProperty("password")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChangeOwn_KeepsThisSessionAndEndsTheOthers_WhenTheCurrentPasswordIsRight()
    {
        var name = await app.CreateUserWithPasswordAsync(Role.Viewer, "changer");
        using var here = await app.SignInAsync(name);
        using var elsewhere = await app.SignInAsync(name);

        using var response = await here.SendAsync(HttpMethod.Put, "/api/me/password", new { current = SessionApi.Password, @new = "my own new passphrase" });

        await Api.ExpectAsync(response, HttpStatusCode.NoContent);
        Assert.Equal(HttpStatusCode.OK, (await here.Http.GetAsync("/api/projects")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await elsewhere.Http.GetAsync("/api/projects")).StatusCode);
        using var again = await app.SignInAsync(name, "my own new passphrase");
        Assert.Contains(await app.Client().AuditOfAsync($"user {name}"), e => e.GetProperty("action").GetString() == "user.password.change");
    }

    [Fact]
    public async Task ChangeOwn_Returns400OnCurrent_WhenTheCurrentPasswordIsWrong_AndChangesNothing()
    {
        var name = await app.CreateUserWithPasswordAsync(Role.Viewer, "forgetful");
        using var session = await app.SignInAsync(name);

        using var response = await session.SendAsync(HttpMethod.Put, "/api/me/password", new { current = "not my password", @new = "whatever new passphrase" });

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("not your current password", problem.GetProperty("errors").GetProperty("current")[0].GetString());
        using var still = await app.SignInAsync(name);
    }

    [Fact]
    public async Task ChangeOwn_WithAToken_NeedsTheCurrentPassword_SoATokenCannotGiveItselfAPasswordSignIn()
    {
        using var admin = app.Client();
        var name = await admin.CreateUserAsync("admin", "scoped");
        var readOnly = await admin.CreateTokenForAsync(name, "read only", role: "viewer");
        using var client = app.Client(readOnly.Token);

        using var response = await client.PutAsJsonAsync("/api/me/password", new { current = "", @new = "take over this admin" });

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("an admin sets the first one", problem.GetProperty("errors").GetProperty("current")[0].GetString(), StringComparison.Ordinal);
        Assert.False((await admin.UserAsync(name)).HasPassword);
    }

    [Fact]
    public async Task ChangeOwn_Returns400OnNew_WhenTheNewPasswordIsTooShort()
    {
        var name = await app.CreateUserWithPasswordAsync(Role.Viewer, "short");
        using var session = await app.SignInAsync(name);
        using var response = await session.SendAsync(HttpMethod.Put, "/api/me/password", new { current = SessionApi.Password, @new = "tiny" });
        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("at least 12 characters", problem.GetProperty("errors").GetProperty("new")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChangeOwn_Returns401_WithoutASignIn()
    {
        using var anonymous = app.Client(token: null);
        using var response = await anonymous.PutAsJsonAsync("/api/me/password", new { current = "a", @new = "b" });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
