using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Pipeliner.Server.Tests.Support;
using Pipeliner.TestSupport.Databases;

namespace Pipeliner.Server.Tests.EndToEnd;

/// <summary>
/// Artifacts and caches between two replicas that share nothing but one PostgreSQL database
/// (<c>Pipeliner:Storage:Provider=database</c>, separate data directories, no shared directory). The first run is claimed
/// through replica A by its embedded agent: its job's artifact (larger than a database chunk) is downloaded through B, and
/// its cache is restored by the second run, claimed through B by a remote agent connected to B only, whose own artifact
/// (uploaded through B) is downloaded through A and restored by the job that needs it.
/// </summary>
[Trait("Database", "postgres")]
[Trait("Category", "EndToEnd")]
public sealed class SharedArchivesTests : IDisposable
{
    private const string Pipeline = """
        stages: [build, check]
        defaults: { image: alpine:3 }
        jobs:
          build:
            stage: build
            cache: { key: deps, paths: [deps/] }
            artifacts: { paths: [dist/] }
            script:
              - if [ -f deps/seed ]; then echo "cache restored from $(cat deps/seed)"; else echo "no cache restored"; fi
              - mkdir -p deps dist
              - test -f deps/seed || echo "saved by the first run" > deps/seed
              - head -c 2500000 /dev/urandom > dist/blob.bin
              - sha256sum dist/blob.bin | cut -c1-64 > dist/blob.sha
          check:
            stage: check
            needs: [build]
            script:
              - test "$(sha256sum dist/blob.bin | cut -c1-64)" = "$(cat dist/blob.sha)" && echo "artifact intact"

        """;

    private readonly TempDirectory _directory = new("pipeliner-shared-archives-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Replicas_ShareArtifactsAndCaches_ThroughTheDatabaseAlone()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync("sharedarchives");
        var repository = GitRepository.WithPipeline(_directory.Combine("repo"), Pipeline);
        string[] settings =
        [
            "--Pipeliner:Database:Provider=postgres", $"--ConnectionStrings:Pipeliner={database.ConnectionString}",
            "--Pipeliner:Storage:Provider=database", "--Pipeliner:Agent:Backend=shell",
        ];
        await using var replicaA = await ServerProcess.StartAsync(_directory.Combine("a"), agentCapacity: 1, settings: settings);
        await using var replicaB = await ServerProcess.StartAsync(_directory.Combine("b"), agentCapacity: 0, settings: settings);
        using var a = replicaA.Client();
        using var b = replicaB.Client();
        using (var created = await a.PostProjectAsync("shared", repository.Path)) await Api.ExpectAsync(created, HttpStatusCode.Created);

        // The first run: A's embedded agent saves the artifact and the cache into the database.
        var first = await a.TriggerAsync("shared", new { branch = "main" });
        var firstRun = await b.WaitForFinishAsync(first, TimeSpan.FromMinutes(2));
        Assert.True(firstRun.Status == "succeeded", $"run {firstRun.Status}\nA:\n{replicaA.Output}");
        Assert.Contains("no cache restored", await b.LogAsync(first, "build"), StringComparison.Ordinal);
        Assert.Contains("artifact intact", await b.LogAsync(first, "check"), StringComparison.Ordinal);
        await AssertDownloadableAsync(b, first);

        // The second run is claimed through B only: A's embedded agent is disabled, a remote agent talks to B.
        var embedded = firstRun.Job("build").Attempts.Single().Agent;
        using (var disabled = await a.PatchAsJsonAsync($"/api/agents/{Uri.EscapeDataString(embedded!)}", new { disabled = true }))
            await Api.ExpectAsync(disabled, HttpStatusCode.OK);
        using var registration = await b.PostAsJsonAsync("/api/agents/tokens", new { name = "replica-b" });
        await Api.ExpectAsync(registration, HttpStatusCode.Created);
        var token = (await registration.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("token").GetString();
        await using var agent = AgentProcess.Start(replicaB.BaseAddress, token, "on-b", "linux,docker", _directory.Combine("agent-b"), backend: "shell");

        var second = await b.TriggerAsync("shared", new { branch = "main" });
        var secondRun = await a.WaitForFinishAsync(second, TimeSpan.FromMinutes(2));
        Assert.True(secondRun.Status == "succeeded", $"run {secondRun.Status}\nB:\n{replicaB.Output}\nagent:\n{agent.Output}");
        Assert.Equal(("on-b", "on-b"), (secondRun.Job("build").Attempts.Single().Agent, secondRun.Job("check").Attempts.Single().Agent));
        Assert.Contains("cache restored from saved by the first run", await a.LogAsync(second, "build"), StringComparison.Ordinal);
        Assert.Contains("artifact intact", await a.LogAsync(second, "check"), StringComparison.Ordinal);
        await AssertDownloadableAsync(a, second);

        // Usage counts what the database holds, on any replica.
        var usage = (await b.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/usage")).GetProperty("projects")[0];
        var artifactBytes = (await a.GetFromJsonAsync<List<ArtifactView>>($"/api/runs/{first}/artifacts", Api.Json))!.Single().Size +
                            (await a.GetFromJsonAsync<List<ArtifactView>>($"/api/runs/{second}/artifacts", Api.Json))!.Single().Size;
        Assert.Equal(("shared", artifactBytes), (usage.GetProperty("project").GetString(), usage.GetProperty("artifactBytes").GetInt64()));
        Assert.InRange(usage.GetProperty("cacheBytes").GetInt64(), 1, 100_000);
        Assert.True(usage.GetProperty("logBytes").GetInt64() > 0);

        // Nothing of them is on either replica's disk.
        foreach (var replica in new[] { "a", "b" })
        {
            var leftovers = Directory.GetFiles(_directory.Combine(replica), "*.tar", SearchOption.AllDirectories)
                .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}sources{Path.DirectorySeparatorChar}", StringComparison.Ordinal)).ToList();
            Assert.True(leftovers.Count == 0, $"archives left on replica {replica}: {string.Join(", ", leftovers)}");
        }

        Assert.DoesNotContain(" 500 ", replicaA.Output + replicaB.Output, StringComparison.Ordinal);
    }

    /// <summary>The build's artifact, listed and downloaded through <paramref name="client"/>'s replica, byte for byte as recorded.</summary>
    private static async Task AssertDownloadableAsync(HttpClient client, long runId)
    {
        var artifacts = (await client.GetFromJsonAsync<List<ArtifactView>>($"/api/runs/{runId}/artifacts", Api.Json))!;
        var artifact = Assert.Single(artifacts);
        Assert.Equal(("build", "dist/"), (artifact.Job, artifact.Path));
        Assert.True(artifact.Size > 2_500_000, $"{artifact.Size} bytes");
        using var download = await client.GetAsync($"/api/runs/{runId}/artifacts/{artifact.Name}");
        await Api.ExpectAsync(download, HttpStatusCode.OK);
        var bytes = await download.Content.ReadAsByteArrayAsync();
        Assert.Equal(artifact.Size, bytes.Length);
        Assert.Equal(artifact.Sha256, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }
}
