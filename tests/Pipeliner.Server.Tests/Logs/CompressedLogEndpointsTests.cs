using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Server.Dashboard;
using Pipeliner.Server.Logs.Store;
using Pipeliner.Server.Tests.Support;
using Pipeliner.TestSupport.Seeding;

namespace Pipeliner.Server.Tests.Logs;

/// <summary>Every log endpoint answers the same before and after the log is stored compressed.</summary>
public sealed class CompressedLogEndpointsTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    private readonly RunSeed _seed = new(app);

    private async Task<List<string>> AnswersAsync(long runId)
    {
        var client = app.Client();
        var log = $"/api/runs/{runId}/jobs/build/log";
        var answers = new List<string>();
        foreach (var offset in new[] { 0L, 1_000_003L, 9_000_000L, 50_000_000L })
        {
            using var response = await client.GetAsync($"{log}?offset={offset}");
            var body = await response.Content.ReadAsByteArrayAsync();
            answers.Add($"{(int)response.StatusCode} next={string.Join(",", response.Headers.GetValues("X-Next-Offset"))} " +
                        $"complete={string.Join(",", response.Headers.GetValues("X-Log-Complete"))} sha={Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(body))}");
        }

        answers.Add(await client.GetStringAsync($"{log}/pages"));
        answers.Add(await client.GetStringAsync($"{log}/search?q=needle&limit=50"));
        answers.Add(await client.GetStringAsync($"{log}/search?q=bold%20text"));
        var download = await (await client.PostAsync($"{log}/download", null)).Content.ReadFromJsonAsync<LogDownloadResponse>();
        var raw = await app.Client(token: null).GetByteArrayAsync(download!.Url);
        answers.Add(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(raw)));
        return answers;
    }

    [Fact]
    public async Task LogEndpoints_AnswerTheSame_AfterTheLogIsCompressed()
    {
        var project = await _seed.ProjectAsync();
        var lines = Enumerable.Range(1, 140_000).Select(i => i % 9_999 == 0
            ? $"needle {i} \u001b[1mbold text\u001b[0m\r"
            : $"[{i:D6}] at Pipeliner.Engine.Execution.JobRunner.RunAsync() in JobRunner.cs:line {i % 500} {Guid.NewGuid()}").ToArray();
        // Finished "now": the background pass leaves it alone for a while, so the test decides when it is compressed.
        var run = await _seed.FinishedRunAsync(project, "failed", "main", DateTimeOffset.UtcNow, ("build", lines));
        var before = await AnswersAsync(run.Id);

        var store = app.Services.GetRequiredService<FileLogStore>();
        var log = new LogRef(run.Id, "build", 1, $"runs/{run.Id}/logs/build/1.log");
        Assert.True(await store.CompressAsync(log, CancellationToken.None));
        Assert.False(File.Exists(store.PlainPath(log)));
        Assert.True(store.SizeOf(log)!.Compressed);

        var after = await AnswersAsync(run.Id);
        Assert.Equal(before, after);
        Assert.Contains("\"line\":9999", before[5], StringComparison.Ordinal);
    }
}
