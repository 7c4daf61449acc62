using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Audit;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Auth.Oidc;
using Pipeliner.Server.Data;
using Pipeliner.Server.Settings;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Auth;

/// <summary>
/// A provider account becomes a Pipeliner user by issuer and subject, created at its first sign-in with the role claim's
/// role or the default one; a taken name is refused, never linked. (The whole flow against a real provider is in the
/// web tests: SignInEndToEndTests.)
/// </summary>
public sealed class OidcUsersTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    private const string Issuer = "http://127.0.0.1:9/oidc";

    [Fact]
    public async Task FindOrCreate_CreatesTheUserWithTheDefaultRole_AtTheFirstSignIn_ThenFindsItBySubject()
    {
        var name = UserApi.NewName("olivia");
        var subject = Guid.NewGuid().ToString();

        var first = await SignInAsync(Account(subject, name));
        var again = await SignInAsync(Account(subject, "renamed-at-the-provider"));

        Assert.Null(first.Problem);
        Assert.Equal((name, "developer", Issuer, subject), (first.User!.Name, first.User.Role, first.User.OidcIssuer, first.User.OidcSubject));
        Assert.Equal(first.User.Id, again.User!.Id);
        Assert.Equal(name, again.User.Name);
        Assert.Contains(await app.Client().AuditOfAsync($"user {name}"), e => e.GetProperty("action").GetString() == "user.create"
            && e.GetProperty("details").GetString() == "role developer, at their first single sign-on");
    }

    [Fact]
    public async Task FindOrCreate_TakesTheHighestRoleTheClaimNames_AndFollowsItAtLaterSignIns()
    {
        var name = UserApi.NewName("rita");
        var subject = Guid.NewGuid().ToString();

        var first = await SignInAsync(Account(subject, name, ("groups", "engineering"), ("groups", "release-manager"), ("groups", "viewer")));
        var later = await SignInAsync(Account(subject, name, ("groups", "admin")));
        var without = await SignInAsync(Account(subject, name));

        Assert.Equal("release-manager", first.User!.Role);
        Assert.Equal("admin", later.User!.Role);
        Assert.Equal("admin", without.User!.Role);
    }

    [Fact]
    public async Task FindOrCreate_RefusesAndLinksNothing_WhenTheNameBelongsToAnotherUser()
    {
        var account = Account(Guid.NewGuid().ToString(), "ADMIN");

        var result = await SignInAsync(account);

        Assert.Null(result.User);
        Assert.Contains("a Pipeliner user named 'admin' exists already", result.Problem, StringComparison.Ordinal);
        Assert.Null(await app.WithDbAsync(db => db.Users.Where(u => u.Name == "admin").Select(u => u.OidcSubject).SingleAsync()));
    }

    [Fact]
    public async Task FindOrCreate_Refuses_WhenTheLinkedUserIsDisabled()
    {
        var name = UserApi.NewName("gone");
        var subject = Guid.NewGuid().ToString();
        await SignInAsync(Account(subject, name));
        (await app.Client().PatchUserAsync(name, new { disabled = true })).Dispose();

        var result = await SignInAsync(Account(subject, name));

        Assert.Equal($"the Pipeliner user '{name}' is disabled", result.Problem);
    }

    [Fact]
    public async Task FindOrCreate_FallsBackToEmailThenSubject_ForTheName_AndRefusesANameWithASlash()
    {
        var subject = Guid.NewGuid().ToString();
        var email = $"{UserApi.NewName("mail")}@example.test";

        var byEmail = await SignInAsync(new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", subject, null, Issuer), new Claim("email", email)])));
        var slashed = await SignInAsync(Account(Guid.NewGuid().ToString(), "team/alice"));

        Assert.Equal(email, byEmail.User!.Name);
        Assert.Contains("cannot be a Pipeliner user name", slashed.Problem, StringComparison.Ordinal);
    }

    private static ClaimsPrincipal Account(string subject, string name, params (string Type, string Value)[] more) =>
        new(new ClaimsIdentity(
            new[] { new Claim("sub", subject, null, Issuer), new Claim("preferred_username", name, null, Issuer) }
                .Concat(more.Select(c => new Claim(c.Type, c.Value, null, Issuer)))));

    private async Task<OidcSignInResult> SignInAsync(ClaimsPrincipal account)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var options = Options.Create(new PipelinerOptions
        {
            Auth = new AuthOptions { Oidc = new OidcOptions { Authority = Issuer, RoleClaim = "groups", DefaultRole = "developer" } },
        });
        var services = scope.ServiceProvider;
        var users = new OidcUsers(services.GetRequiredService<PipelinerDbContext>(), services.GetRequiredService<AuditTrail>(), options, TimeProvider.System);
        return await users.FindOrCreateAsync(account, CancellationToken.None);
    }
}
