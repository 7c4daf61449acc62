using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Auth;

/// <summary>Admins create, list and revoke API tokens; a token is shown once, stored hashed, and refused once revoked or expired.</summary>
public class TokenEndpointsTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    [Fact]
    public async Task Create_ReturnsTheTokenOnceAndStoresOnlyItsHash_WhenTheRequestIsValid()
    {
        using var admin = app.Client();
        var expiresAt = DateTimeOffset.UtcNow.AddDays(30);

        using var response = await admin.PostAsJsonAsync("/api/tokens", new { name = "ci deployer", role = "developer", expiresAt });

        await Api.ExpectAsync(response, HttpStatusCode.Created);
        var created = await response.Content.ReadFromJsonAsync<CreatedTokenView>(Api.Json);
        Assert.NotNull(created);
        Assert.Equal(("ci deployer", "ci deployer", "developer"), (created.User, created.Name, created.Role));
        Assert.StartsWith(TokenHasher.TokenPrefix, created.Token, StringComparison.Ordinal);
        Assert.StartsWith(created.Prefix, created.Token, StringComparison.Ordinal);
        Assert.True(created.Prefix.Length < created.Token.Length / 2, "the prefix is a small part of the token");
        Assert.Equal(expiresAt.ToUnixTimeMilliseconds(), created.ExpiresAt!.Value.ToUnixTimeMilliseconds());
        Assert.Equal($"/api/tokens/{created.Id}", response.Headers.Location?.OriginalString);

        var stored = await app.WithDbAsync(db => db.ApiTokens.AsNoTracking().SingleAsync(t => t.Id == created.Id));
        Assert.Equal(TokenHasher.Hash(created.Token), stored.TokenHash);
        Assert.DoesNotContain(created.Token, JsonSerializer.Serialize(stored), StringComparison.Ordinal);

        var list = await admin.GetStringAsync("/api/tokens");
        Assert.DoesNotContain(created.Token, list, StringComparison.Ordinal);
        var listed = JsonSerializer.Deserialize<List<TokenView>>(list, Api.Json)!.Single(t => t.Id == created.Id);
        Assert.Equal(("ci deployer", "developer", created.Prefix, (DateTimeOffset?)null), (listed.Name, listed.Role, listed.Prefix, listed.RevokedAt));
        Assert.Equal(expiresAt.ToUnixTimeMilliseconds(), listed.ExpiresAt!.Value.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task Create_GivesATokenThatActsWithItsRole_WhenUsed()
    {
        var token = await CreateAsync("release bot", "release-manager");
        using var client = app.Client(token);

        var me = await client.GetFromJsonAsync<JsonElement>("/api/me", Api.Json);
        using var audit = await client.GetAsync("/api/audit");
        using var tokens = await client.GetAsync("/api/tokens");

        Assert.Equal("release bot", me.GetProperty("name").GetString());
        Assert.Equal("release-manager", me.GetProperty("role").GetString());
        Assert.Equal(HttpStatusCode.OK, audit.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, tokens.StatusCode);
    }

    public static TheoryData<string, string> InvalidRequests => new()
    {
        { """{"name": "x", "role": "root"}""", "role" },
        { """{"name": "x"}""", "role" },
        { """{"name": "", "role": "viewer"}""", "name" },
        { """{"name": "   ", "role": "viewer"}""", "name" },
        { """{"role": "viewer"}""", "name" },
        { $$"""{"name": "{{new string('n', 101)}}", "role": "viewer"}""", "name" },
        { """{"name": "x", "role": "viewer", "expiresAt": "2020-01-01T00:00:00Z"}""", "expiresAt" },
    };

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public async Task Create_Returns400ValidationProblem_WhenAFieldIsWrong(string body, string field)
    {
        using var admin = app.Client();
        var before = await app.WithDbAsync(db => db.ApiTokens.CountAsync());

        using var response = await admin.PostAsync("/api/tokens", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors name '{field}': {problem}");
        Assert.Equal(before, await app.WithDbAsync(db => db.ApiTokens.CountAsync()));
    }

    [Fact]
    public async Task Create_Returns400Problem_WhenTheBodyIsNotJson()
    {
        using var admin = app.Client();

        using var response = await admin.PostAsync("/api/tokens", new StringContent("{\"name\": ", System.Text.Encoding.UTF8, "application/json"));

        await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Revoke_RefusesTheTokenAfterwardsAndListsWhen_WhenTheTokenWasInUse()
    {
        var token = await CreateAsync("to revoke", "developer");
        using var user = app.Client(token);
        using var before = await user.GetAsync("/api/projects");
        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        var id = await IdOfAsync(token);
        using var admin = app.Client();

        using var revoke = await admin.DeleteAsync($"/api/tokens/{id}");

        await Api.ExpectAsync(revoke, HttpStatusCode.NoContent);
        using var after = await user.GetAsync("/api/projects");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        using var me = await user.GetAsync("/api/me");
        Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
        var listed = (await admin.GetFromJsonAsync<List<TokenView>>("/api/tokens", Api.Json))!.Single(t => t.Id == id);
        Assert.NotNull(listed.RevokedAt);
    }

    [Fact]
    public async Task Revoke_Returns409_WhenTheTokenIsRevokedAlready()
    {
        var id = await IdOfAsync(await CreateAsync("twice", "viewer"));
        using var admin = app.Client();
        (await admin.DeleteAsync($"/api/tokens/{id}")).Dispose();

        using var again = await admin.DeleteAsync($"/api/tokens/{id}");

        Assert.Contains("revoked already", (await Api.ProblemAsync(again, HttpStatusCode.Conflict)).Detail(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoke_Returns404_WhenNoSuchTokenExists()
    {
        using var admin = app.Client();

        using var response = await admin.DeleteAsync("/api/tokens/987654");

        Assert.Equal("no token 987654", (await Api.ProblemAsync(response, HttpStatusCode.NotFound)).Detail());
    }

    [Fact]
    public async Task Authenticate_Refuses_WhenTheTokenHasExpired()
    {
        var expired = await app.CreateTokenAsync(Role.Admin, expiresAt: DateTimeOffset.UtcNow.AddSeconds(-1));
        var valid = await app.CreateTokenAsync(Role.Admin, expiresAt: DateTimeOffset.UtcNow.AddHours(1));

        using var refused = await app.Client(expired).GetAsync("/api/tokens");
        using var accepted = await app.Client(valid).GetAsync("/api/tokens");

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Fact]
    public async Task CreateAndRevoke_AreAuditedWithoutTheToken_WhenAnAdminDoesThem()
    {
        var token = await CreateAsync("audited", "viewer");
        var id = await IdOfAsync(token);
        using var admin = app.Client();
        (await admin.DeleteAsync($"/api/tokens/{id}")).Dispose();

        var page = await admin.GetStringAsync("/api/audit");

        Assert.DoesNotContain(token, page, StringComparison.Ordinal);
        var entries = JsonDocument.Parse(page).RootElement.GetProperty("items").EnumerateArray()
            .Where(e => e.GetProperty("target").GetString()!.Contains("(audited)", StringComparison.Ordinal)).ToList();
        Assert.Equal(["token.revoke", "token.create"], entries.Select(e => e.GetProperty("action").GetString()));
        Assert.All(entries, e => Assert.Equal("admin", e.GetProperty("actor").GetString()));
        Assert.Contains("role viewer", entries[1].GetProperty("details").GetString(), StringComparison.Ordinal);
    }

    private async Task<string> CreateAsync(string name, string role)
    {
        using var admin = app.Client();
        using var response = await admin.PostAsJsonAsync("/api/tokens", new { name, role });
        await Api.ExpectAsync(response, HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<CreatedTokenView>(Api.Json))!.Token;
    }

    private Task<int> IdOfAsync(string token) =>
        app.WithDbAsync(db => db.ApiTokens.Where(t => t.TokenHash == TokenHasher.Hash(token)).Select(t => t.Id).SingleAsync());
}

/// <summary>The last admin token that works cannot be revoked: the server would have no admin left (a server of its own).</summary>
public class LastAdminTokenTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    [Fact]
    public async Task Revoke_Returns409_WhenItIsTheLastWorkingAdminToken()
    {
        using var bootstrap = app.Client();
        using var created = await bootstrap.PostAsJsonAsync("/api/tokens", new { name = "second admin", role = "admin" });
        var second = (await created.Content.ReadFromJsonAsync<CreatedTokenView>(Api.Json))!;
        await app.CreateTokenAsync(Role.Admin, expiresAt: DateTimeOffset.UtcNow.AddSeconds(-1));
        var bootstrapId = await app.WithDbAsync(db => db.ApiTokens.Where(t => t.Name == "bootstrap").Select(t => t.Id).SingleAsync());
        using var secondAdmin = app.Client(second.Token);

        using var first = await secondAdmin.DeleteAsync($"/api/tokens/{bootstrapId}");
        using var last = await secondAdmin.DeleteAsync($"/api/tokens/{second.Id}");

        await Api.ExpectAsync(first, HttpStatusCode.NoContent);
        Assert.Contains("last admin token", (await Api.ProblemAsync(last, HttpStatusCode.Conflict)).Detail(), StringComparison.Ordinal);
        using var stillWorks = await secondAdmin.GetAsync("/api/tokens");
        Assert.Equal(HttpStatusCode.OK, stillWorks.StatusCode);
    }
}

public sealed record CreatedTokenView(int Id, string User, string Name, string Role, string Prefix, string Token, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt);

public sealed record TokenView(int Id, string User, string Name, string Role, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt);
