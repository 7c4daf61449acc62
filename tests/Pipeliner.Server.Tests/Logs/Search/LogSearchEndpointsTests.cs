using System.Net;
using System.Net.Http.Json;
using Microsoft.Data.Sqlite;
using Npgsql;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Logs;
using Pipeliner.Server.Logs.Search;
using Pipeliner.Server.Logs.Search.Postgres;
using Pipeliner.Server.ProjectSecrets;
using Pipeliner.Server.Tests.Support;
using Pipeliner.TestSupport.Seeding;

namespace Pipeliner.Server.Tests.Logs.Search;

/// <summary>Search across runs through the API, on each database's index (the twins at the end).</summary>
public abstract class LogSearchEndpointsTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : PipelinerApp
{
    private static readonly DateTimeOffset Monday = new(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);
    private readonly RunSeed _seed = new(app);

    private static string Token() => $"tok{Guid.NewGuid():N}"[..16];

    private async Task<RunLogSearchResponse> SearchAsync(string query, string? token = PipelinerApp.AdminToken)
    {
        var response = await app.Client(token).GetAsync($"/api/search/logs?{query}");
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<RunLogSearchResponse>())!;
    }

    [Fact]
    public async Task Search_FindsLinesAcrossRunsNewestFirst_AsTheViewerShowsThem()
    {
        var token = Token();
        var project = await _seed.ProjectAsync();
        var older = await _seed.FinishedRunAsync(project, "failed", "main", Monday,
            ("build", ["compiling", $"error {token}: disk full", "done"]), ("test", ["ok", $"\u001b[31mERROR\u001b[0m {token.ToUpperInvariant()}"]));
        var newer = await _seed.FinishedRunAsync(project, "succeeded", "feature/x", Monday.AddDays(1),
            ("build", [.. Enumerable.Range(1, 250).Select(i => $"line {i}"), $"10%\r100% {token} progress\r"]));
        await app.SealAllLogsAsync();

        var result = await SearchAsync($"q={token}");

        Assert.False(result.Truncated);
        Assert.True(result.TookMs >= 0);
        Assert.Equal(
            [
                new RunLogMatch(newer.Id, project.Name, 2, "feature/x", "build", 1, 251, $"100% {token} progress"),
                new RunLogMatch(older.Id, project.Name, 1, "main", "build", 1, 2, $"error {token}: disk full"),
                new RunLogMatch(older.Id, project.Name, 1, "main", "test", 1, 2, $"ERROR {token.ToUpperInvariant()}"),
            ],
            result.Matches);
    }

    [Fact]
    public async Task Search_NarrowsDown_ByProjectBranchStatusAndTime()
    {
        var token = Token();
        var first = await _seed.ProjectAsync();
        var second = await _seed.ProjectAsync();
        var a = await _seed.FinishedRunAsync(first, "failed", "main", Monday, ("build", [$"{token} a"]));
        var b = await _seed.FinishedRunAsync(first, "succeeded", "dev", Monday.AddDays(2), ("build", [$"{token} b"]));
        var c = await _seed.FinishedRunAsync(second, "failed", "main", Monday.AddDays(4), ("build", [$"{token} c"]));
        await app.SealAllLogsAsync();

        async Task<long[]> Runs(string filter) => [.. (await SearchAsync($"q={token}&{filter}")).Matches.Select(m => m.RunId)];

        Assert.Equal([c.Id, b.Id, a.Id], await Runs(""));
        Assert.Equal([b.Id, a.Id], await Runs($"project={first.Name}"));
        Assert.Equal([c.Id, a.Id], await Runs("branch=main"));
        Assert.Equal([c.Id, a.Id], await Runs("status=failed"));
        Assert.Equal([b.Id], await Runs($"since={Monday.AddDays(1):O}&until={Monday.AddDays(3):O}".Replace("+", "%2B", StringComparison.Ordinal)));
        var limited = await SearchAsync($"q={token}&limit=2");
        Assert.True(limited.Truncated);
        Assert.Equal([c.Id, b.Id], limited.Matches.Select(m => m.RunId));
    }

    [Theory]
    [InlineData("q=", "3 to 200 characters")]
    [InlineData("q=ab", "too short")]
    [InlineData("q=abc&limit=0", "limit")]
    [InlineData("q=abc&limit=5000", "limit")]
    [InlineData("q=abc&status=green", "not a run status")]
    [InlineData("q=abc&since=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z", "since is after until")]
    [InlineData("q=abc&since=yesterday", "since")]
    public async Task Search_Answers400_WhenTheQueryIsNotUsable(string query, string said)
    {
        var response = await app.Client().GetAsync($"/api/search/logs?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(said, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_Answers404_ForAnUnknownProject_And401_WithoutToken()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client().GetAsync("/api/search/logs?q=abc&project=nope")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client(token: null).GetAsync("/api/search/logs?q=abc")).StatusCode);
        var viewer = await app.CreateTokenAsync(Role.Viewer);
        Assert.Equal(HttpStatusCode.OK, (await app.Client(viewer).GetAsync("/api/search/logs?q=abc")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.Client(viewer).PostAsync("/api/admin/search/rebuild", null)).StatusCode);
    }

    [Fact]
    public async Task Search_MasksSecrets_ThatTheProjectHasNow()
    {
        var token = Token();
        var secret = $"hunter{Guid.NewGuid():N}";
        var project = await _seed.ProjectAsync();
        await _seed.FinishedRunAsync(project, "failed", "main", Monday, ("deploy", [$"{token} password={secret} end"]));
        var set = await app.Client().PutAsJsonAsync($"/api/projects/{project.Name}/secrets/PASSWORD", new SetSecretRequest(secret, null));
        Assert.True(set.IsSuccessStatusCode);
        await app.SealAllLogsAsync();

        var found = await SearchAsync($"q={token}");
        Assert.Equal($"{token} password=*** end", Assert.Single(found.Matches).Text);
        Assert.Empty((await SearchAsync($"q={secret[..12]}")).Matches);
        Assert.Empty((await SearchAsync($"q={secret}")).Matches);
        Assert.Empty((await SearchAsync($"q={secret[..3]}&project={project.Name}")).Matches);
        Assert.Empty((await SearchAsync($"q=rd={secret[..3]}&project={project.Name}")).Matches);
    }

    [Fact]
    public async Task Search_FindsOnlyTheLiteralTextInAnyCase_WhenItsTrigramsAlsoAppearApart()
    {
        var token = Token();
        var query = $"qzx{token}";
        var project = await _seed.ProjectAsync();
        // Every trigram of the query is in the older log's piece (within its lines), but never the query itself.
        await _seed.FinishedRunAsync(project, "failed", "main", Monday, ("build", ["qzxt", "xtok", token, $"qzx {token}"]));
        var newer = await _seed.FinishedRunAsync(project, "failed", "main", Monday.AddDays(1), ("build", ["start", $"found: QZX{token.ToUpperInvariant()}!"]));
        await app.SealAllLogsAsync();

        foreach (var asked in new[] { query, query.ToUpperInvariant() })
        {
            var match = Assert.Single((await SearchAsync($"q={asked}")).Matches);
            Assert.Equal((newer.Id, 2L, $"found: QZX{token.ToUpperInvariant()}!"), (match.RunId, match.Line, match.Text));
        }
    }

    [Fact]
    public async Task Search_FindsAThreeCharacterText_InAnyCaseAndOnlyWhole()
    {
        var project = await _seed.ProjectAsync();
        var run = await _seed.FinishedRunAsync(project, "failed", "main", Monday, ("build", ["a w#k b", "w# k", "w#\nk", "x W#K y", "#kw"]));
        await app.SealAllLogsAsync();

        foreach (var asked in new[] { "w%23k", "W%23K" })
        {
            var found = await SearchAsync($"q={asked}&project={project.Name}");
            Assert.Equal([(run.Id, 1L), (run.Id, 5L)], found.Matches.Select(m => (m.RunId, m.Line)));
        }
    }

    [Fact]
    public async Task SealAllLogs_SealsTheOthers_WhenALogOfTheBatchCannotBeRead()
    {
        var token = Token();
        var project = await _seed.ProjectAsync();
        var readable = await _seed.FinishedRunAsync(project, "failed", "main", Monday, ("build", [$"{token} readable"]));
        var damaged = await _seed.FinishedRunAsync(project, "failed", "main", Monday.AddDays(1), ("build", [$"{token} damaged"]));
        var plain = Path.Combine(app.DataDir, $"runs/{damaged.Id}/logs/build/1.log");
        File.Delete(plain);
        await File.WriteAllTextAsync(plain + ".zst", "not a compressed log");
        try
        {
            // Both end up in one batch of the catch-up: the damaged one fails it, each is then sealed alone.
            await app.SealAllLogsAsync();

            Assert.Equal(readable.Id, Assert.Single((await SearchAsync($"q={token}")).Matches).RunId);
        }
        finally
        {
            File.Delete(plain + ".zst");
            await app.SealAllLogsAsync();
        }
    }

    [Fact]
    public async Task Search_Answers503AndRebuildRepairs_WhenTheIndexIsDamaged()
    {
        var token = Token();
        var project = await _seed.ProjectAsync();
        var run = await _seed.FinishedRunAsync(project, "failed", "main", Monday, ("build", [$"{token} found"]));
        await app.SealAllLogsAsync();
        Assert.Single((await SearchAsync($"q={token}")).Matches);

        await DamageIndexAsync();

        var damaged = await app.Client().GetAsync($"/api/search/logs?q={token}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, damaged.StatusCode);
        Assert.Contains("rebuild", await damaged.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Accepted, (await app.Client().PostAsync("/api/admin/search/rebuild", null)).StatusCode);
        await app.SealAllLogsAsync();
        Assert.Equal(run.Id, Assert.Single((await SearchAsync($"q={token}")).Matches).RunId);
    }

    /// <summary>Makes the index unreadable: a file of garbage on SQLite, a dropped table on PostgreSQL.</summary>
    private async Task DamageIndexAsync()
    {
        if (app.Database == TestDatabase.Postgres)
        {
            await using var connection = new NpgsqlConnection(app.DatabaseSettings["ConnectionStrings:Pipeliner"]);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP TABLE {PostgresLogSearchIndex.Schema}.chunks", connection);
            await drop.ExecuteNonQueryAsync();
            return;
        }

        SqliteConnection.ClearAllPools();
        var index = Path.Combine(app.DataDir, LogSetup.SearchIndexFile);
        foreach (var file in new[] { index + "-wal", index + "-shm" }.Where(File.Exists)) File.Delete(file);
        await File.WriteAllBytesAsync(index, [.. Enumerable.Repeat((byte)0x5a, 8192)]);
    }
}

/// <summary>The tests above on SQLite (FTS5 in <c>search.db</c>).</summary>
public sealed class LogSearchEndpointsTests(AppWithoutAgent app) : LogSearchEndpointsTests<AppWithoutAgent>(app);

/// <summary>The tests above on PostgreSQL (the GIN index of trigram codes in the server's database).</summary>
[Trait("Database", "postgres")]
public sealed class LogSearchEndpointsOnPostgresTests(AppWithoutAgentOnPostgres app) : LogSearchEndpointsTests<AppWithoutAgentOnPostgres>(app);
