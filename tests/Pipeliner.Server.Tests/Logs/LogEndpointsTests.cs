using System.Net;
using System.Text;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Logs;

/// <summary><c>GET /api/runs/{id}/jobs/{job}/log</c>: plain text per attempt, readable while the job runs, tailed by offset.</summary>
public class LogEndpointsTests(AppWithAgent app) : IClassFixture<AppWithAgent>
{
    private const string Sleeper = """
        stages: [build, deploy]
        defaults: { image: alpine:3 }
        jobs:
          build:
            stage: build
            script: ["echo first-line", "sleep 300"]
          deploy:
            stage: deploy
            when: manual
            needs: []
            script: ["echo deploy"]

        """;

    private sealed record LogChunk(string Text, long NextOffset, bool Complete, int Attempt, string? MediaType);

    private static async Task<LogChunk> ReadAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        await Api.ExpectAsync(response, HttpStatusCode.OK);
        return new LogChunk(
            await response.Content.ReadAsStringAsync(),
            long.Parse(response.Headers.GetValues("X-Next-Offset").Single(), System.Globalization.CultureInfo.InvariantCulture),
            response.Headers.GetValues("X-Log-Complete").Single() == "true",
            int.Parse(response.Headers.GetValues("X-Attempt").Single(), System.Globalization.CultureInfo.InvariantCulture),
            response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Log_IsReadableAndTailableWhileTheJobRuns_WhenReadByOffset()
    {
        var repository = app.NewRepository(Sleeper);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);
        var id = await client.TriggerAsync(project);
        var url = $"/api/runs/{id}/jobs/build/log";
        await client.WaitForJobAsync(id, "build", "running");

        var running = await Poll.UntilAsync(() => ReadAsync(client, url), chunk => chunk.Text.Contains("first-line", StringComparison.Ordinal),
            "the first line of the running job");

        Assert.False(running.Complete);
        Assert.Equal("text/plain", running.MediaType);
        Assert.Equal(Encoding.UTF8.GetByteCount(running.Text), running.NextOffset);
        (await client.PostAsync($"/api/runs/{id}/cancel", content: null)).Dispose();
        var tailed = new StringBuilder(running.Text);
        var offset = running.NextOffset;
        var rest = await Poll.UntilAsync(async () =>
        {
            var chunk = await ReadAsync(client, $"{url}?offset={offset}");
            tailed.Append(chunk.Text);
            offset = chunk.NextOffset;
            return chunk;
        }, chunk => chunk.Complete, "the log to be complete");
        var whole = await ReadAsync(client, url);
        Assert.True(whole.Complete);
        Assert.Equal(whole.Text, tailed.ToString());
        Assert.Equal(whole.NextOffset, rest.NextOffset);
        Assert.True(whole.Text.Contains("pipeliner: job canceled", StringComparison.Ordinal), $"{whole.Text}\nserver errors:\n{string.Join("\n", app.Errors.All)}");
    }

    [Fact]
    public async Task Log_IsWrittenToOneLogFile_WhenTheEmbeddedAgentRunsTheJob()
    {
        // The output (marker-42) is not in the pipeline file, nor in the checkout that holds it.
        var repository = app.NewRepository(Sleeper.Replace("echo first-line", "echo marker-$((6*7))", StringComparison.Ordinal));
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);
        var id = await client.TriggerAsync(project);
        await client.WaitForJobAsync(id, "build", "running");
        await Poll.UntilAsync(() => ReadAsync(client, $"/api/runs/{id}/jobs/build/log"), chunk => chunk.Text.Contains("Z marker-42\n", StringComparison.Ordinal),
            "the marker in the running job's log");

        var marker = "marker-42"u8.ToArray();
        var holding = Directory.EnumerateFiles(app.DataDir, "*.log", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true })
            .Where(f => Holds(f, marker)).Select(f => Path.GetRelativePath(app.DataDir, f)).ToList();
        (await client.PostAsync($"/api/runs/{id}/cancel", content: null)).Dispose();

        Assert.Equal([Path.Combine("runs", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "logs", "build", "1.log")], holding);
    }

    private static bool Holds(string file, byte[] bytes)
    {
        try
        {
            using var read = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            read.CopyTo(copy);
            return copy.GetBuffer().AsSpan(0, (int)copy.Length).IndexOf(bytes) >= 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // gone meanwhile, or not ours to read (a container's files)
        }
    }

    [Fact]
    public async Task Log_ReturnsTheTextFromTheOffset_WhenAnOffsetIsGiven()
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);
        var id = (await client.WaitForFinishAsync(await client.TriggerAsync(project))).Id;
        var whole = await ReadAsync(client, $"/api/runs/{id}/jobs/build/log");
        var bytes = Encoding.UTF8.GetBytes(whole.Text);

        var middle = await ReadAsync(client, $"/api/runs/{id}/jobs/build/log?offset=10");
        var end = await ReadAsync(client, $"/api/runs/{id}/jobs/build/log?offset={bytes.Length}");
        var beyond = await ReadAsync(client, $"/api/runs/{id}/jobs/build/log?offset={bytes.Length + 1000}");

        Assert.Contains("$ echo building", whole.Text, StringComparison.Ordinal);
        Assert.Contains("Z building\n", whole.Text, StringComparison.Ordinal);
        Assert.Equal(Encoding.UTF8.GetString(bytes[10..]), middle.Text);
        Assert.Equal(bytes.Length, middle.NextOffset);
        Assert.All([end, beyond], chunk => Assert.Equal(("", (long)bytes.Length, true), (chunk.Text, chunk.NextOffset, chunk.Complete)));
    }

    [Fact]
    public async Task Log_ReturnsTheChosenAttempt_WhenAnAttemptIsGiven()
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);
        var id = (await client.WaitForFinishAsync(await client.TriggerAsync(project))).Id;
        (await client.PostAsync($"/api/runs/{id}/retry", JsonContentOf("{\"all\":true}"))).Dispose();
        await client.WaitForRunAsync(id, r => r.IsFinished && r.Job("build").Attempts.Count == 2, "the second attempt");

        var first = await ReadAsync(client, $"/api/runs/{id}/jobs/build/log?attempt=1");
        var second = await ReadAsync(client, $"/api/runs/{id}/jobs/build/log?attempt=2");
        var newest = await ReadAsync(client, $"/api/runs/{id}/jobs/build/log");

        Assert.Equal(1, first.Attempt);
        Assert.Contains("attempt 1,", first.Text, StringComparison.Ordinal);
        Assert.Equal(2, second.Attempt);
        Assert.Contains("attempt 2,", second.Text, StringComparison.Ordinal);
        Assert.Equal(second, newest);
        var attempts = (await client.GetRunAsync(id)).Job("build").Attempts;
        Assert.Equal(first.Text, await client.GetStringAsync(attempts[0].Log));
        Assert.Equal(second.Text, await client.GetStringAsync(attempts[1].Log));
    }

    [Theory]
    [InlineData("/api/runs/{id}/jobs/nope/log", "has no job")]
    [InlineData("/api/runs/{id}/jobs/deploy/log", "has not started")]
    [InlineData("/api/runs/{id}/jobs/build/log?attempt=7", "no attempt 7")]
    [InlineData("/api/runs/{id}/jobs/build/log?attempt=0", "no attempt 0")]
    [InlineData("/api/runs/987654/jobs/build/log", "has no job")]
    public async Task Log_Returns404Problem_WhenThereIsNoSuchLog(string path, string detail)
    {
        var repository = app.NewRepository(Sleeper);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);
        var id = await client.TriggerAsync(project);
        await client.WaitForJobAsync(id, "build", "running");

        using var response = await client.GetAsync(path.Replace("{id}", id.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));

        var problem = await Api.ProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Contains(detail, problem.Detail(), StringComparison.Ordinal);
        (await client.PostAsync($"/api/runs/{id}/cancel", content: null)).Dispose();
    }

    [Theory]
    [InlineData("?offset=-1")]
    [InlineData("?offset=abc")]
    [InlineData("?attempt=abc")]
    [InlineData("?offset=99999999999999999999999")]
    public async Task Log_Returns400Problem_WhenAParameterIsInvalid(string query)
    {
        using var client = app.Client();

        using var response = await client.GetAsync($"/api/runs/1/jobs/build/log{query}");

        await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Log_Returns401_WhenNoTokenIsSent()
    {
        using var client = app.Client(token: null);

        using var response = await client.GetAsync("/api/runs/1/jobs/build/log");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private static StringContent JsonContentOf(string json) => new(json, Encoding.UTF8, "application/json");
}
