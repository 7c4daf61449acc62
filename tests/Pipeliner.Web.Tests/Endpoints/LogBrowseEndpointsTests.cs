using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Dashboard;
using Pipeliner.TestSupport.Seeding;
using Pipeliner.Web.Tests.Support;

namespace Pipeliner.Web.Tests.Endpoints;

public sealed class LogBrowseEndpointsTests(DashboardApp app) : IClassFixture<DashboardApp>
{
    private readonly RunSeed _seed = new(app);

    private async Task<(long RunId, string Log)> RunWithLogAsync(string log, bool finished = true)
    {
        var project = await _seed.ProjectAsync();
        var run = await _seed.RunAsync(project, "failed", "main", null, ("unit tests", "failed"));
        await _seed.AttemptAsync(run, "unit tests", 1, RunSeed.Log("first attempt"));
        await _seed.AttemptAsync(run, "unit tests", 2, log, finished);
        return (run.Id, log);
    }

    [Fact]
    public async Task Search_finds_lines_in_any_case_with_their_numbers_and_offsets()
    {
        var (runId, log) = await RunWithLogAsync(RunSeed.Log("compiling", "Error: disk full", "retrying", "\u001b[31mERROR\u001b[0m: still full"));

        var result = await app.Client().GetFromJsonAsync<LogSearchResponse>($"/api/runs/{runId}/jobs/unit%20tests/log/search?q=error");

        Assert.Equal(2, result!.Attempt);
        Assert.False(result.Truncated);
        Assert.Equal([2L, 4L], result.Matches.Select(m => m.Line));
        Assert.Equal(["Error: disk full", "ERROR: still full"], result.Matches.Select(m => m.Text));
        var line2 = result.Matches[0];
        Assert.Equal("Error", log.Substring((int)line2.Offset + 25, 5));
    }

    [Fact]
    public async Task Search_of_an_earlier_attempt_and_a_capped_one()
    {
        var (runId, _) = await RunWithLogAsync(RunSeed.Log([.. Enumerable.Range(1, 50).Select(i => $"match {i}")]));

        var first = await app.Client().GetFromJsonAsync<LogSearchResponse>($"/api/runs/{runId}/jobs/unit%20tests/log/search?q=first&attempt=1");
        Assert.Equal(1, first!.Attempt);
        Assert.Single(first.Matches);

        var capped = await app.Client().GetFromJsonAsync<LogSearchResponse>($"/api/runs/{runId}/jobs/unit%20tests/log/search?q=match&limit=10");
        Assert.True(capped!.Truncated);
        Assert.Equal(10, capped.Matches.Count);
    }

    [Theory]
    [InlineData("q=")]
    [InlineData("q=x&limit=0")]
    [InlineData("q=x&limit=100000")]
    public async Task Search_needs_a_query_and_a_sane_limit(string query)
    {
        var (runId, _) = await RunWithLogAsync(RunSeed.Log("x"));
        var response = await app.Client().GetAsync($"/api/runs/{runId}/jobs/unit%20tests/log/search?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Pages_of_a_short_log_are_one_page()
    {
        var (runId, log) = await RunWithLogAsync(RunSeed.Log("a", "b", "c"), finished: false);
        var pages = await app.Client().GetFromJsonAsync<LogPagesResponse>($"/api/runs/{runId}/jobs/unit%20tests/log/pages");
        Assert.Equal(new LogPageStart(0, 1), Assert.Single(pages!.Pages));
        Assert.Equal(3, pages.Lines);
        Assert.Equal(log.Length, pages.Size);
        Assert.False(pages.Complete);
        Assert.Equal(LogPageIndex.PageBytes, pages.PageBytes);
    }

    [Fact]
    public async Task Unknown_jobs_and_unstarted_jobs_are_404()
    {
        var project = await _seed.ProjectAsync();
        var run = await _seed.RunAsync(project, "pending", "main", null, ("later", "pending"));
        var notStarted = await app.Client().GetAsync($"/api/runs/{run.Id}/jobs/later/log/pages");
        Assert.Equal(HttpStatusCode.NotFound, notStarted.StatusCode);
        Assert.Contains("has not started yet", await notStarted.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client().GetAsync($"/api/runs/{run.Id}/jobs/nope/log/search?q=x")).StatusCode);
    }

    [Fact]
    public async Task A_download_link_serves_the_raw_log_without_a_header_and_only_that_log()
    {
        var (runId, log) = await RunWithLogAsync(RunSeed.Log("raw \u001b[32mcolour\u001b[0m", "end"));
        var issued = await app.Client().PostAsync($"/api/runs/{runId}/jobs/unit%20tests/log/download", null);
        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
        var link = await issued.Content.ReadFromJsonAsync<LogDownloadResponse>();

        var download = await app.Client(token: null).GetAsync(link!.Url);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(log, await download.Content.ReadAsStringAsync());
        var fileName = download.Content.Headers.ContentDisposition?.FileName?.Trim('"') ?? "";
        Assert.StartsWith($"run-{runId}-unit_tests-", fileName, StringComparison.Ordinal);
        Assert.EndsWith("-attempt-2.log", fileName, StringComparison.Ordinal);

        // The ticket names one attempt of one job: it opens nothing else, and nothing opens without it.
        var otherAttempt = link.Url.Replace("attempt=2", "attempt=1", StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client(token: null).GetAsync(otherAttempt)).StatusCode);
        var withoutTicket = link.Url[..link.Url.IndexOf("&ticket=", StringComparison.Ordinal)];
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client().GetAsync(withoutTicket)).StatusCode);
        var tampered = link.Url[..^4] + "AAAA";
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client(token: null).GetAsync(tampered)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client(token: null).PostAsync($"/api/runs/{runId}/jobs/unit%20tests/log/download", null)).StatusCode);
    }

    [Fact]
    public async Task Raw_Returns401_WhenTheTicketsTokenWasRevokedOrItsUserDisabled()
    {
        var (runId, log) = await RunWithLogAsync(RunSeed.Log("secret-ish build output"));
        var revoked = await app.CreateTokenAsync(Role.Viewer);
        var disabled = await app.CreateTokenAsync(Role.Viewer);
        var revokedLink = await LinkAsync(runId, revoked);
        var disabledLink = await LinkAsync(runId, disabled);
        Assert.Equal(log, await app.Client(token: null).GetStringAsync(revokedLink));
        Assert.Equal(log, await app.Client(token: null).GetStringAsync(disabledLink));
        var (tokenId, _) = await TokenOfAsync(revoked);
        var (_, disabledUser) = await TokenOfAsync(disabled);

        using (var revoke = await app.Client().DeleteAsync($"/api/tokens/{tokenId}")) Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        using (var disable = await app.Client().PatchAsJsonAsync($"/api/users/{Uri.EscapeDataString(disabledUser)}", new { disabled = true }))
            Assert.Equal(HttpStatusCode.OK, disable.StatusCode);

        foreach (var link in new[] { revokedLink, disabledLink })
        {
            using var refused = await app.Client(token: null).GetAsync(link);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Contains("its token was revoked or its user disabled", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var enable = await app.Client().PatchAsJsonAsync($"/api/users/{Uri.EscapeDataString(disabledUser)}", new { disabled = false }))
            Assert.Equal(HttpStatusCode.OK, enable.StatusCode);
        Assert.Equal(log, await app.Client(token: null).GetStringAsync(disabledLink));
    }

    [Fact]
    public async Task Raw_ServesASessionsTicket_UntilTheSessionSignsOut()
    {
        var (runId, log) = await RunWithLogAsync(RunSeed.Log("read from the dashboard"));
        var (browser, csrf) = await app.SignInAsync(Role.Viewer);
        using var issue = new HttpRequestMessage(HttpMethod.Post, $"/api/runs/{runId}/jobs/unit%20tests/log/download");
        issue.Headers.Add("X-Pipeliner-Csrf", csrf);
        using var issued = await browser.SendAsync(issue);
        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
        var link = (await issued.Content.ReadFromJsonAsync<LogDownloadResponse>())!.Url;
        Assert.Equal(log, await app.Client(token: null).GetStringAsync(link));

        using var signOut = new HttpRequestMessage(HttpMethod.Delete, "/api/session");
        signOut.Headers.Add("X-Pipeliner-Csrf", csrf);
        Assert.Equal(HttpStatusCode.NoContent, (await browser.SendAsync(signOut)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client(token: null).GetAsync(link)).StatusCode);
    }

    private async Task<string> LinkAsync(long runId, string token)
    {
        using var issued = await app.Client(token).PostAsync($"/api/runs/{runId}/jobs/unit%20tests/log/download", null);
        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
        return (await issued.Content.ReadFromJsonAsync<LogDownloadResponse>())!.Url;
    }

    private async Task<(int TokenId, string User)> TokenOfAsync(string token)
    {
        (int, string) found = default;
        await app.WithDbAsync(async db =>
        {
            var hash = TokenHasher.Hash(token);
            var stored = await db.ApiTokens.Include(t => t.User).SingleAsync(t => t.TokenHash == hash);
            found = (stored.Id, stored.User!.Name);
        });
        return found;
    }
}
