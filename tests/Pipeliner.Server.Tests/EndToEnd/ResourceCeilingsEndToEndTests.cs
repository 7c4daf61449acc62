using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.EndToEnd;

/// <summary>
/// A real fork bomb in a job on the real Docker engine, against a real server process whose default process limit is
/// low: the bomb stops at the container's limit, the server and a job beside it carry on, and the run ends.
/// </summary>
public sealed class ResourceCeilingsEndToEndTests : IDisposable
{
    private const int ServerPids = 64;

    /// <summary>Reads the container's limit and count with shell builtins only: at the limit, nothing can be forked.</summary>
    private const string ReadPids =
        "for d in /sys/fs/cgroup /sys/fs/cgroup/pids; do if [ -r $d/pids.max ]; then read max < $d/pids.max; read now < $d/pids.current; echo \"pids.max=$max pids.current=$now\"; fi; if [ -r $d/pids.peak ]; then read peak < $d/pids.peak; echo \"pids.peak=$peak\"; fi; done";

    private static readonly string Pipeline = $$"""
        stages: [build]
        defaults: { image: alpine:3, timeout: 2m }
        jobs:
          bomb:
            stage: build
            script:
              - "(f() { f | f & }; f) || true"
              - "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done"
              - '{{ReadPids}}'
              - "exit 0"
          beside:
            stage: build
            script: ["sleep 3", "echo beside-ran"]
          raised:
            stage: build
            resources: { pids: 200 }
            script: ['{{ReadPids}}']
          chatty:
            stage: build
            resources: { log: 1Mi }
            script: ["yes 0123456789abcdef | head -n 200000", "echo finished-after-the-cut"]

        """;

    private readonly TempDirectory _directory = new("pipeliner-forkbomb-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task ForkBomb_StopsAtTheContainersProcessLimit_WhileTheServerAndOtherJobsCarryOn()
    {
        await DockerProbe.EnsureEngineAsync();
        var repository = GitRepository.WithPipeline(_directory.Combine("repo"), Pipeline);
        await using var server = await ServerProcess.StartAsync(_directory.Combine("data"), agentCapacity: 3,
            settings: [$"--Pipeliner:Limits:Pids={ServerPids}"]);
        using var client = server.Client();
        using (var created = await client.PostAsJsonAsync("/api/projects",
                   new { name = "bomb", repository = repository.Path, forge = "github", webhookSecret = "fork-bomb-webhook-secret" }))
        {
            await Api.ExpectAsync(created, HttpStatusCode.Created);
        }

        var clock = Stopwatch.StartNew();
        var runId = await client.TriggerAsync("bomb");
        await client.WaitForJobAsync(runId, "bomb", "running", TimeSpan.FromMinutes(1));
        // While the bomb runs, the server answers.
        using (var health = await client.GetAsync("/healthz")) Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var run = await client.WaitForFinishAsync(runId, TimeSpan.FromMinutes(3));

        var bomb = await client.LogAsync(runId, "bomb");
        Assert.True(run.Job("bomb").Status == "succeeded", bomb);
        var (max, now) = Pids(bomb);
        Assert.Equal(ServerPids.ToString(System.Globalization.CultureInfo.InvariantCulture), max);
        Assert.True(now <= ServerPids, bomb);
        // The bomb reached the limit: forks were refused, and where the kernel counts it, the peak is the limit.
        Assert.Contains("can't fork", bomb, StringComparison.Ordinal);
        if (bomb.Split('\n').LastOrDefault(l => l.Contains("pids.peak=", StringComparison.Ordinal)) is { } peakLine)
        {
            var peak = int.Parse(peakLine[(peakLine.IndexOf("pids.peak=", StringComparison.Ordinal) + 10)..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(peak, ServerPids / 2, ServerPids);
        }
        Assert.Equal("succeeded", run.Job("beside").Status);
        Assert.Contains("beside-ran", await client.LogAsync(runId, "beside"), StringComparison.Ordinal);
        Assert.Equal("200", Pids(await client.LogAsync(runId, "raised")).Max);
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"the run took {clock.Elapsed}");

        // 3.4 MB of output against a 1 MiB log: the job goes on to its end, the log says where it was cut and how much was dropped.
        var chatty = await client.LogAsync(runId, "chatty");
        Assert.Equal("succeeded", run.Job("chatty").Status);
        Assert.Contains("pipeliner: the log is cut here: the job's output reached its limit of 1Mi (resources.log)", chatty, StringComparison.Ordinal);
        Assert.Contains("more lines", chatty, StringComparison.Ordinal);
        Assert.DoesNotContain("finished-after-the-cut", chatty, StringComparison.Ordinal);
        Assert.InRange(System.Text.Encoding.UTF8.GetByteCount(chatty), 1L << 20, (1L << 20) * 2);
    }

    private static (string Max, int Current) Pids(string log)
    {
        var line = log.Split('\n').Last(l => l.Contains("pids.max=", StringComparison.Ordinal));
        var max = line[(line.IndexOf("pids.max=", StringComparison.Ordinal) + 9)..].Split(' ')[0];
        var current = int.Parse(line[(line.IndexOf("pids.current=", StringComparison.Ordinal) + 13)..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        return (max, current);
    }
}
