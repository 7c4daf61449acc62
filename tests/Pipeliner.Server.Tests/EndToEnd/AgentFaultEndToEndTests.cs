using System.Formats.Tar;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Pipeliner.Server.Tests.Support;
using Pipeliner.TestSupport;

namespace Pipeliner.Server.Tests.EndToEnd;

/// <summary>
/// Faults between remote agents and the server, on the real server process, real <c>pipeliner agent</c> processes and
/// the real Docker engine: the server killed with kill -9 while agents run jobs (they go on, reconnect after its restart,
/// and the runs finish in the same attempts with complete logs), and the network between an agent and the server cut
/// for less than the lease (nothing lost or duplicated). Leases are a few seconds, set for the test.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed partial class AgentFaultEndToEndTests : IDisposable
{
    private readonly TempDirectory _directory = new("pipeliner-agent-faults-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task ServerKilled_AgentsFinishTheirJobsInTheSameAttemptsWithCompleteLogs_AfterItStartsAgain()
    {
        await DockerProbe.EnsureEngineAsync();
        const int lines = 30;
        var pipeline = $$"""
            stages: [test]
            defaults: { image: alpine:3 }
            jobs:
              left:
                stage: test
                runs-on: [outage]
                script: ['for i in $(seq 1 {{lines}}); do echo "line $i"; sleep 0.5; done']
              right:
                stage: test
                runs-on: [outage]
                script: ['for i in $(seq 1 {{lines}}); do echo "line $i"; sleep 0.5; done']

            """;
        // Short enough to outlast it in a test, long enough that agents starved of CPU on a loaded machine keep it.
        var lease = TimeSpan.FromSeconds(10);
        string[] settings = [$"--Pipeliner:Agent:LeaseDuration={lease}"];
        var data = _directory.Combine("data");
        var server = await ServerProcess.StartAsync(data, agentCapacity: 0, settings: settings);
        try
        {
            using var admin = server.Client();
            var repository = GitRepository.WithPipeline(_directory.Combine("repo"), pipeline);
            using (var created = await admin.PostProjectAsync("outage", repository.Path)) await Api.ExpectAsync(created, HttpStatusCode.Created);
            var token = await CreateRegistrationTokenAsync(admin);
            await using var first = AgentProcess.Start(server.BaseAddress, token, "outage-1", "linux,outage", _directory.Combine("outage-1"));
            await using var second = AgentProcess.Start(server.BaseAddress, token, "outage-2", "linux,outage", _directory.Combine("outage-2"));
            await first.WaitForOutputAsync("is waiting for jobs");
            await second.WaitForOutputAsync("is waiting for jobs");
            var id = await admin.TriggerAsync("outage");
            foreach (var job in new[] { "left", "right" })
                await Poll.UntilAsync(() => LogSoFarAsync(admin, id, job), log => NumberedLines(log).Count >= 3, $"'{job}' to stream its first lines");

            var port = server.Port;
            await server.KillAsync();
            await server.DisposeAsync();
            var killedAt = DateTimeOffset.UtcNow;
            // Longer than the lease: without a grace period at the restart both attempts would be lost at once.
            await Task.Delay(lease + TimeSpan.FromSeconds(2));
            server = await ServerProcess.StartAsync(data, agentCapacity: 0, settings: settings, port: port);
            var restartedAt = DateTimeOffset.UtcNow;
            using var again = server.Client();
            var run = await again.WaitForFinishAsync(id, TimeSpan.FromSeconds(120));

            var output = $"server:\n{server.Output}\noutage-1:\n{first.Output}\noutage-2:\n{second.Output}";
            Assert.True(run.Status == "succeeded", $"run {run.Status}: {JsonSerializer.Serialize(run.Jobs)}\n{output}");
            var attempts = run.Jobs.Select(j => Assert.Single(j.Attempts)).ToList();
            Assert.All(attempts, a => Assert.Equal(("succeeded", 1), (a.Status, a.Number)));
            Assert.Equal(["outage-1", "outage-2"], attempts.Select(a => a.Agent).Order());
            var duringOutage = 0;
            foreach (var job in new[] { "left", "right" })
            {
                var numbered = NumberedLines(await again.LogAsync(id, job, attempt: 1));
                Assert.Equal(Enumerable.Range(1, lines), numbered.Select(l => l.Number));
                duringOutage += numbered.Count(l => l.Time > killedAt && l.Time < restartedAt);
            }

            Assert.True(duringOutage > 0, $"no line was written between the kill ({killedAt:O}) and the restart ({restartedAt:O})");
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task NetworkCut_ShorterThanTheLease_LosesAndDuplicatesNothing()
    {
        await DockerProbe.EnsureEngineAsync();
        const string pipeline = """
            stages: [build]
            defaults: { image: alpine:3 }
            jobs:
              flaky-link:
                stage: build
                runs-on: [cut]
                script:
                  - 'for i in $(seq 1 40); do echo "line $i"; sleep 0.15; done'
                  - mkdir -p dist && head -c 3000000 /dev/urandom > dist/blob && sha256sum dist/blob
                  - 'for i in $(seq 41 60); do echo "line $i"; sleep 0.15; done'
                artifacts: { paths: [dist/] }

            """;
        var lease = TimeSpan.FromSeconds(15);
        await using var server = await ServerProcess.StartAsync(_directory.Combine("data"), agentCapacity: 0,
            settings: [$"--Pipeliner:Agent:LeaseDuration={lease}"]);
        using var admin = server.Client();
        var repository = GitRepository.WithPipeline(_directory.Combine("repo"), pipeline);
        using (var created = await admin.PostProjectAsync("cut", repository.Path)) await Api.ExpectAsync(created, HttpStatusCode.Created);
        await using var proxy = new LoopbackProxy(server.Port);
        await using var agent = AgentProcess.Start(proxy.Address, await CreateRegistrationTokenAsync(admin), "cut-1", "linux,cut", _directory.Combine("cut-1"));
        await agent.WaitForOutputAsync("is waiting for jobs");
        var id = await admin.TriggerAsync("cut");
        await Poll.UntilAsync(() => LogSoFarAsync(admin, id, "flaky-link"), log => NumberedLines(log).Count >= 2, "the job's first lines");

        // Cut for 1.5 s (well within the lease) every 3 s until the attempt ends: while lines stream, while the artifact
        // uploads, while the end is reported. (A cut that swallows the answer to a claim is not among them: that attempt is
        // lost when its lease runs out, and queued again; see docs/operations.md.)
        var cuts = 0;
        RunView run;
        while ((run = await admin.GetRunAsync(id)).Job("flaky-link").Attempts is [{ Status: "running" }] && cuts < 20)
        {
            proxy.Cut();
            cuts++;
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            proxy.Restore();
            await Task.Delay(TimeSpan.FromSeconds(1.5));
        }

        run = await admin.WaitForFinishAsync(id, TimeSpan.FromSeconds(90));
        Assert.True(run.Status == "succeeded", $"run {run.Status}: {JsonSerializer.Serialize(run.Jobs)}\nserver:\n{server.Output}\nagent:\n{agent.Output}");
        Assert.True(cuts >= 2 && proxy.Resets > 0, $"{cuts} cut(s), {proxy.Resets} reset(s): the link was not cut while the job ran");
        Assert.True(run.Job("flaky-link").Attempts.Count == 1,
            $"{JsonSerializer.Serialize(run.Job("flaky-link").Attempts)}\nserver:\n{server.Output}\nagent:\n{agent.Output}");
        var attempt = run.Job("flaky-link").Attempts[0];
        Assert.Equal(("succeeded", "cut-1"), (attempt.Status, attempt.Agent));

        var log = await admin.LogAsync(id, "flaky-link", attempt: 1);
        var stored = log.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Enumerable.Range(1, 60), NumberedLines(log).Select(l => l.Number));
        Assert.Equal(stored.Length, stored.Distinct(StringComparer.Ordinal).Count());
        Assert.Single(stored, line => line.EndsWith(" pipeliner: job succeeded", StringComparison.Ordinal));
        var logged = BlobDigest().Match(log);
        Assert.True(logged.Success, log);
        Assert.Equal(logged.Groups[1].Value, await ArtifactBlobDigestAsync(admin, id));
    }

    /// <summary>The SHA-256 of <c>dist/blob</c> in the run's one artifact, as the API serves it.</summary>
    private static async Task<string> ArtifactBlobDigestAsync(HttpClient client, long id)
    {
        var artifact = Assert.Single((await client.GetFromJsonAsync<List<ArtifactView>>($"/api/runs/{id}/artifacts", Api.Json))!);
        await using var tar = await client.GetStreamAsync($"/api/runs/{id}/artifacts/{Uri.EscapeDataString(artifact.Name)}");
        using var reader = new TarReader(tar);
        while (await reader.GetNextEntryAsync() is { } entry)
        {
            if (!entry.Name.EndsWith("blob", StringComparison.Ordinal) || entry.DataStream is null) continue;
            return Convert.ToHexStringLower(await SHA256.HashDataAsync(entry.DataStream));
        }

        throw new Xunit.Sdk.XunitException($"no blob in artifact {artifact.Name}");
    }

    private static async Task<string> LogSoFarAsync(HttpClient client, long id, string job)
    {
        using var response = await client.GetAsync($"/api/runs/{id}/jobs/{job}/log?attempt=1");
        return response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadAsStringAsync() : "";
    }

    /// <summary>The script's numbered lines, in stored order, with the time the agent stamped on each.</summary>
    private static List<(int Number, DateTimeOffset Time)> NumberedLines(string log) =>
        NumberedLine().Matches(log).Select(m => (int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
            DateTimeOffset.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal))).ToList();

    private static async Task<string> CreateRegistrationTokenAsync(HttpClient admin)
    {
        using var response = await admin.PostAsJsonAsync("/api/agents/tokens", new { name = "faults" });
        await Api.ExpectAsync(response, HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
    }

    [GeneratedRegex(@"^(\S+Z) line (\d+)$", RegexOptions.Multiline)]
    private static partial Regex NumberedLine();

    [GeneratedRegex(@"Z ([0-9a-f]{64})  dist/blob$", RegexOptions.Multiline)]
    private static partial Regex BlobDigest();
}
