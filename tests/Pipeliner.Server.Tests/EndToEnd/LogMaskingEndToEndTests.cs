using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Pipeliner.Server.Tests.Support;
using Pipeliner.TestSupport.Secrets;

namespace Pipeliner.Server.Tests.EndToEnd;

/// <summary>
/// A job on the real Docker engine prints every form of the corpus (<see cref="SecretOutputCorpus"/>), and a value
/// that becomes a secret only after the run: against a real server process, no read path — the log, every range of
/// it, its pages, search, the raw download, the live event stream — returns any form of either.
/// </summary>
public sealed class LogMaskingEndToEndTests : IDisposable
{
    /// <summary>Printed by a job that was given no secret; stored as printed, and stored unmasked.</summary>
    private const string Later = "later-Secret-4Fj8Qp2Lx7Wd";

    private const string Pipeline = """
        stages: [build]
        defaults: { image: alpine:3 }
        variables:
          LATER: later-Secret-4Fj8Qp2Lx7Wd
        jobs:
          leak:
            stage: build
            secrets: [SECRET_SHORT, SECRET_LONG, SECRET_KEY]
            script: ["sleep 2", "sh forms.sh"]
          later:
            stage: build
            script: ["sleep 2", "echo \"value $LATER\"", "echo \"$LATER\" | base64", "echo done"]

        """;

    private readonly TempDirectory _directory = new("pipeliner-masking-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task EveryReadPath_ReturnsNoFormOfASecret_WhenAJobPrintsEveryFormAndASecretIsSetAfterTheRun()
    {
        await DockerProbe.EnsureEngineAsync();
        var script = string.Concat(SecretOutputCorpus.Forms.Select(f => f.Shell + $"\necho {SecretOutputCorpus.Marker}\n"));
        var repository = GitRepository.Create(_directory.Combine("repo"), new Dictionary<string, string>
        {
            [".pipeliner.yml"] = Pipeline,
            ["forms.sh"] = script,
        });
        await using var server = await ServerProcess.StartAsync(_directory.Combine("data"));
        using var client = server.Client();
        using (var created = await client.PostAsJsonAsync("/api/projects", new { name = "masked", repository = repository.Path, forge = "github", webhookSecret = "masking-webhook-secret" }))
        {
            await Api.ExpectAsync(created, HttpStatusCode.Created);
        }

        foreach (var (name, value) in SecretOutputCorpus.Secrets) await client.SetSecretAsync("masked", name, value);
        var runId = await client.TriggerAsync("masked");
        var events = await CollectLogEventsAsync(server, runId);
        var run = await client.WaitForFinishAsync(runId, TimeSpan.FromMinutes(3));
        Assert.True(run.Status == "succeeded", $"run {run.Status}: {await client.LogAsync(runId, "leak")}\n{server.Output}");

        // The write path could not mask this one: it becomes a secret now.
        await client.SetSecretAsync("masked", "LATER", Later);
        var secrets = SecretOutputCorpus.Secrets.Values.Append(Later).ToList();

        foreach (var job in new[] { "leak", "later" })
        {
            var whole = await client.LogAsync(runId, job);
            AssertNoLeak(secrets, Texts(whole), $"{job}: GET log");
            Assert.Equal(job == "leak" ? SecretOutputCorpus.Forms.Count : 1,
                Texts(whole).Count(l => l == SecretOutputCorpus.Marker || l == "done"));
            await AssertRangesAsync(client, runId, job, whole);
            await AssertPagesAsync(client, runId, job, whole);
            await AssertRawDownloadAsync(client, runId, job, whole);
            await AssertSearchAsync(client, runId, job, secrets);
        }

        AssertNoLeak(SecretOutputCorpus.Secrets.Values, events, "event stream");
        Assert.Equal(SecretOutputCorpus.Forms.Count, events.Count(l => l == SecretOutputCorpus.Marker));
    }

    private static async Task<List<string>> CollectLogEventsAsync(ServerProcess server, long runId)
    {
        using var client = server.Client();
        client.Timeout = Timeout.InfiniteTimeSpan;
        using var response = await client.GetAsync($"/api/runs/{runId}/events", HttpCompletionOption.ResponseHeadersRead);
        await Api.ExpectAsync(response, HttpStatusCode.OK);
        await using var events = new ServerSentEvents(await response.Content.ReadAsStreamAsync());
        var seen = await events.ReadUntilAsync(
            e => e.Type == "status" && JsonDocument.Parse(e.Data).RootElement.GetProperty("status").GetString() is "succeeded" or "failed",
            "the run to finish", TimeSpan.FromMinutes(3));
        return seen.Where(e => e.Type == "log")
            .Select(e => JsonDocument.Parse(e.Data).RootElement)
            .Where(e => e.GetProperty("job").GetString() == "leak")
            .Select(e => e.GetProperty("text").GetString()!)
            .ToList();
    }

    private static async Task AssertRangesAsync(HttpClient client, long runId, string job, string whole)
    {
        var bytes = Encoding.UTF8.GetBytes(whole);
        for (var offset = 0; offset < bytes.Length; offset += 97)
        {
            using var response = await client.GetAsync($"/api/runs/{runId}/jobs/{job}/log?offset={offset}");
            await Api.ExpectAsync(response, HttpStatusCode.OK);
            var range = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(bytes[offset..], range);
        }
    }

    private static async Task AssertPagesAsync(HttpClient client, long runId, string job, string whole)
    {
        var pages = await client.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}/jobs/{job}/log/pages", Api.Json);
        Assert.Equal(Encoding.UTF8.GetByteCount(whole), pages.GetProperty("size").GetInt64());
    }

    private static async Task AssertRawDownloadAsync(HttpClient client, long runId, string job, string whole)
    {
        using var issued = await client.PostAsync($"/api/runs/{runId}/jobs/{job}/log/download", null);
        await Api.ExpectAsync(issued, HttpStatusCode.OK);
        var url = (await issued.Content.ReadFromJsonAsync<JsonElement>(Api.Json)).GetProperty("url").GetString()!;
        var raw = await client.GetStringAsync(url);
        Assert.Equal(whole, raw);
    }

    private static async Task AssertSearchAsync(HttpClient client, long runId, string job, List<string> secrets)
    {
        foreach (var secret in secrets)
        {
            var value = secret.Split('\n')[^1].Length >= SecretLeaks.PartLength ? secret.Split('\n')[^1] : secret;
            var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(secret))[4..20];
            foreach (var query in new[] { value, value[..SecretLeaks.PartLength], value[^SecretLeaks.PartLength..], encoded })
            {
                var found = await client.GetFromJsonAsync<JsonElement>(
                    $"/api/runs/{runId}/jobs/{job}/log/search?q={Uri.EscapeDataString(query)}", Api.Json);
                var matches = found.GetProperty("matches").EnumerateArray().Select(m => m.GetProperty("text").GetString()).ToList();
                Assert.True(matches.Count == 0, $"{job}: searching '{query}' found {string.Join(" | ", matches)}");
            }
        }

        var marker = await client.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}/jobs/{job}/log/search?q=e", Api.Json);
        var texts = marker.GetProperty("matches").EnumerateArray().Select(m => m.GetProperty("text").GetString()!).ToList();
        Assert.NotEmpty(texts);
        AssertNoLeak(secrets, texts, $"{job}: search results");
    }

    private static void AssertNoLeak(IEnumerable<string> secrets, List<string> lines, string where)
    {
        var leaks = SecretLeaks.Find(string.Join('\n', lines), secrets);
        Assert.True(leaks.Count == 0, $"{where}: {string.Join("; ", leaks)}\n{string.Join('\n', lines)}");
    }

    /// <summary>The stored log's lines without their timestamps.</summary>
    private static List<string> Texts(string log) =>
        log.Split('\n').Select(l => l.Length > 25 && l[23] == 'Z' ? l[25..] : l).ToList();
}
