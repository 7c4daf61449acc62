using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pipeliner.Server.Tests.Agents;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.EndToEnd;

/// <summary>
/// The workspace and artifact ceilings on a real server process and the real Docker engine: the server's defaults
/// (<c>Pipeliner:Limits:Workspace</c>, <c>Artifacts</c>) stop a job that fills its workspace and refuse artifacts too
/// large, saying so in the job's log and storing nothing; a job that raises its limits in the pipeline file succeeds.
/// The same ceilings with a real <c>pipeliner agent</c> process: nothing over them reaches the server's store.
/// </summary>
public sealed class WorkspaceAndArtifactCeilingsEndToEndTests : IDisposable
{
    private const string Pipeline = """
        stages: [build]
        defaults: { image: alpine:3, timeout: 2m }
        jobs:
          filler:
            stage: build
            script: ["dd if=/dev/zero of=big.bin bs=1M count=16 2>/dev/null", "sleep 90", "echo not-stopped"]
          packer:
            stage: build
            script: ["mkdir -p dist", "dd if=/dev/urandom of=dist/app.bin bs=1M count=2 2>/dev/null"]
            artifacts: { paths: [dist/] }
          raised:
            stage: build
            resources: { workspace: 64Mi, artifacts: 8Mi }
            script: ["dd if=/dev/zero of=big.bin bs=1M count=16 2>/dev/null", "mkdir -p dist", "dd if=/dev/urandom of=dist/app.bin bs=1M count=2 2>/dev/null"]
            artifacts: { paths: [dist/] }

        """;

    private readonly TempDirectory _directory = new("pipeliner-ceilings-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Run_StopsTheFillerAndRefusesTheArtifacts_WhenJobsPassTheServersDefaults()
    {
        await DockerProbe.EnsureEngineAsync();
        var repository = GitRepository.WithPipeline(_directory.Combine("repo"), Pipeline);
        await using var server = await ServerProcess.StartAsync(_directory.Combine("data"), agentCapacity: 3,
            settings: ["--Pipeliner:Limits:Workspace=4Mi", "--Pipeliner:Limits:Artifacts=1Mi"]);
        using var client = server.Client();
        using (var created = await client.PostProjectAsync("ceilings", repository.Path))
            await Api.ExpectAsync(created, HttpStatusCode.Created);

        var runId = await client.TriggerAsync("ceilings");
        var run = await client.WaitForFinishAsync(runId, TimeSpan.FromMinutes(3));

        var filler = run.Job("filler").Attempts.Last();
        var fillerLog = await client.LogAsync(runId, "filler");
        Assert.True(filler.Status == "failed", fillerLog);
        Assert.Matches(@"^the workspace holds \d+(\.\d+)?Mi, more than its limit of 4Mi \(resources\.workspace\)$", filler.Message);
        Assert.Contains($" pipeliner: {filler.Message}: the job is stopped\n", fillerLog, StringComparison.Ordinal);
        Assert.DoesNotContain("not-stopped", fillerLog, StringComparison.Ordinal);
        Assert.True(filler.FinishedAt - filler.StartedAt < TimeSpan.FromSeconds(60), $"the filler ran {filler.FinishedAt - filler.StartedAt}: it was not stopped");

        var packer = run.Job("packer").Attempts.Last();
        var packerLog = await client.LogAsync(runId, "packer");
        Assert.True(packer.Status == "failed", packerLog);
        Assert.Equal("artifacts over their limit of 1Mi (resources.artifacts)", packer.Message);
        Assert.Contains(" pipeliner: artifacts refused: together they hold more than their limit of 1Mi (resources.artifacts); none of them was stored\n",
            packerLog, StringComparison.Ordinal);

        Assert.True(run.Job("raised").Status == "succeeded", await client.LogAsync(runId, "raised"));
        var artifacts = await client.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}/artifacts");
        var jobs = artifacts.EnumerateArray().Select(a => a.GetProperty("job").GetString()).ToList();
        Assert.Equal(["raised"], jobs);
        Assert.False(Directory.Exists(Path.Combine(_directory.Combine("data"), "runs", runId.ToString(System.Globalization.CultureInfo.InvariantCulture), "artifacts", "packer")));
    }

    private const string RemotePipeline = """
        stages: [build]
        defaults: { image: alpine:3, timeout: 2m }
        jobs:
          packer:
            stage: build
            runs-on: [linux, ceilings]
            script: ["mkdir -p dist", "dd if=/dev/urandom of=dist/app.bin bs=1M count=2 2>/dev/null"]
            artifacts: { paths: [dist/] }
          uploader:
            stage: build
            runs-on: [linux, ceilings]
            resources: { artifacts: 8Mi }
            script: ["mkdir -p dist", "dd if=/dev/urandom of=dist/app.bin bs=1M count=2 2>/dev/null"]
            artifacts: { paths: [dist/] }
          cached:
            stage: build
            runs-on: [linux, ceilings]
            resources: { workspace: 2Mi }
            # 6,000 empty files: the workspace holds no bytes, their archive (a 512-byte header each) about 3 MiB.
            script: ["mkdir -p deps", "cd deps && i=0 && while [ $i -lt 6000 ]; do : > f$i; i=$((i+1)); done", "echo deps-made"]
            cache: { key: deps, paths: [deps/] }

        """;

    [Fact]
    public async Task RemoteAgent_StoresNothingOverTheCeilings_WhenItsJobsArtifactsOrCacheAreTooLarge()
    {
        await DockerProbe.EnsureEngineAsync();
        var data = _directory.Combine("data");
        var repository = GitRepository.WithPipeline(_directory.Combine("repo"), RemotePipeline);
        await using var server = await ServerProcess.StartAsync(data, agentCapacity: 0,
            settings: ["--Pipeliner:Limits:Artifacts=1Mi", "--Pipeliner:Agent:MaxUploadBytes=1048576"]);
        using var client = server.Client();
        using (var created = await client.PostProjectAsync("remote-ceilings", repository.Path))
            await Api.ExpectAsync(created, HttpStatusCode.Created);
        var token = await HttpAgent.RegistrationTokenAsync(client);
        var runId = await client.TriggerAsync("remote-ceilings");
        await using var agent = AgentProcess.Start(server.BaseAddress, token, "ceilings-1", "linux,docker,ceilings", _directory.Combine("agent"), capacity: 3);

        var run = await client.WaitForFinishAsync(runId, TimeSpan.FromMinutes(3));

        // The agent as shipped refuses artifacts over the job's limit before it uploads anything.
        var packer = run.Job("packer").Attempts.Single();
        var packerLog = await client.LogAsync(runId, "packer");
        Assert.True(packer.Status == "failed", $"{packerLog}\nagent:\n{agent.Output}");
        Assert.Equal("artifacts over their limit of 1Mi (resources.artifacts)", packer.Message);
        Assert.Contains(" pipeliner: artifacts refused: together they hold more than their limit of 1Mi (resources.artifacts); none of them was stored\n",
            packerLog, StringComparison.Ordinal);
        // The job may save 8Mi, the server takes at most 1 MiB in one upload: it refuses the 2 MiB archive while it
        // streams, and the agent fails the job saying so in its log.
        var uploader = run.Job("uploader").Attempts.Single();
        var uploaderLog = await client.LogAsync(runId, "uploader");
        const string refusal = "artifacts refused by the server: an upload carries at most 1048576 bytes (Pipeliner:Agent:MaxUploadBytes)";
        Assert.True(uploader.Status == "failed", $"{uploaderLog}\nagent:\n{agent.Output}\nserver:\n{server.Output}");
        Assert.Equal(refusal, uploader.Message);
        Assert.Contains($" pipeliner: {refusal}\n", uploaderLog, StringComparison.Ordinal);
        // A cache is bounded by the workspace's limit: over it, not saved, and the job keeps its success.
        var cached = run.Job("cached").Attempts.Single();
        var cachedLog = await client.LogAsync(runId, "cached");
        Assert.True(cached.Status == "succeeded", $"{cachedLog}\nagent:\n{agent.Output}");
        Assert.Contains(" pipeliner: warning: cache not saved: its archives together hold more than the job's workspace limit of 2Mi (resources.workspace)\n",
            cachedLog, StringComparison.Ordinal);

        var artifacts = await client.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}/artifacts");
        Assert.Empty(artifacts.EnumerateArray());
        Assert.False(Directory.Exists(Path.Combine(data, "cache")) && Directory.EnumerateFiles(Path.Combine(data, "cache"), "*", SearchOption.AllDirectories).Any());
        Assert.False(Directory.Exists(Path.Combine(data, "uploads")) && Directory.EnumerateFiles(Path.Combine(data, "uploads"), "*", SearchOption.AllDirectories).Any());
    }
}
