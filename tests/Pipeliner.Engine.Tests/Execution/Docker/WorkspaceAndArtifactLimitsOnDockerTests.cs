using System.Diagnostics;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Execution;
using Pipeliner.Engine.Tests.Support;

namespace Pipeliner.Engine.Tests.Execution.Docker;

/// <summary>
/// <c>resources.workspace</c> stops a job whose workspace grows past it and bounds its cache; <c>resources.artifacts</c>
/// refuses artifacts past it.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class WorkspaceAndArtifactLimitsOnDockerTests(DockerEngineFixture engine) : DockerTest(engine)
{
    [Fact]
    public async Task ExecuteAsync_StopsTheJobSayingWhy_WhenItsWorkspaceGrowsPastItsLimit()
    {
        const string yaml = """
            stages: [main]
            jobs:
              filler:
                stage: main
                image: alpine:3
                resources: { workspace: 8Mi }
                script: ["dd if=/dev/zero of=big.bin bs=1M count=24 2>/dev/null", "sleep 300", "echo not-stopped"]
              within:
                stage: main
                image: alpine:3
                resources: { workspace: 64Mi }
                script: ["dd if=/dev/zero of=big.bin bs=1M count=24 2>/dev/null", "echo within-limit"]
            """;

        var clock = Stopwatch.StartNew();
        var run = await Harness.RunAsync(yaml);

        var attempt = run.Job("filler").Attempts.Single();
        Assert.Equal(JobStatus.Failed, attempt.Status);
        // Caught while dd writes, or after: more than the limit, at most what was written (and the checkout).
        var held = System.Text.RegularExpressions.Regex.Match(attempt.Message!, @"^the workspace holds (\d+(?:\.\d+)?)Mi, more than its limit of 8Mi \(resources\.workspace\)$");
        Assert.True(held.Success, attempt.Message);
        Assert.InRange(decimal.Parse(held.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 8m, 25m);
        var log = Harness.LogText(run, "filler");
        Assert.Contains($"pipeliner: {attempt.Message}: the job is stopped", log);
        Assert.Equal($"pipeliner: job failed: {attempt.Message}", log[^1]);
        Assert.DoesNotContain("not-stopped", log);
        // The job sleeps 300 s: ending in under half of that proves it was stopped while it slept, with room for a loaded machine.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(150), $"the run took {clock.Elapsed}: the job was not stopped while it slept");
        Assert.Equal(JobStatus.Succeeded, run.Job("within").Status);
        Assert.Contains("within-limit", Harness.ScriptOutput(run, "within"));
        await AssertNoContainersLeftAsync(run);
        Assert.False(Directory.Exists(Harness.Layout.Workspace(run.Id, "filler", 1)));
    }

    [Fact]
    public async Task ExecuteAsync_RefusesArtifactsAndStoresNoneOfThem_WhenTogetherTheyPassTheirLimit()
    {
        const string yaml = """
            stages: [main]
            jobs:
              heavy:
                stage: main
                image: alpine:3
                resources: { artifacts: 2Mi }
                script: ["mkdir -p dist", "dd if=/dev/urandom of=dist/a.bin bs=1M count=1 2>/dev/null", "dd if=/dev/urandom of=b.bin bs=1M count=2 2>/dev/null"]
                artifacts: { paths: [dist/, b.bin] }
              light:
                stage: main
                image: alpine:3
                resources: { artifacts: 2Mi }
                script: ["mkdir -p dist", "dd if=/dev/urandom of=dist/a.bin bs=1M count=1 2>/dev/null"]
                artifacts: { paths: [dist/] }
            """;

        var run = await Harness.RunAsync(yaml);

        var attempt = run.Job("heavy").Attempts.Single();
        Assert.Equal(JobStatus.Failed, attempt.Status);
        Assert.Equal("artifacts over their limit of 2Mi (resources.artifacts)", attempt.Message);
        var log = Harness.LogText(run, "heavy");
        Assert.Contains("pipeliner: artifacts refused: together they hold more than their limit of 2Mi (resources.artifacts); none of them was stored", log);
        Assert.DoesNotContain(log, line => line.StartsWith("pipeliner: saved artifact", StringComparison.Ordinal));
        var folder = Harness.Layout.Artifacts(run.Id, "heavy");
        Assert.False(Directory.Exists(folder));
        Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(folder)!, "heavy*"));
        Assert.Empty(Harness.Records.Load(run.Id)!.Jobs.Single(j => j.Id == "heavy").Artifacts);

        Assert.Equal(JobStatus.Succeeded, run.Job("light").Status);
        Assert.Single(Harness.Records.Load(run.Id)!.Jobs.Single(j => j.Id == "light").Artifacts);
        await AssertNoContainersLeftAsync(run);
    }

    [Fact]
    public async Task ExecuteAsync_SavesNoCacheAndKeepsTheJobsSuccess_WhenTheCachesArchivePassesTheWorkspaceLimit()
    {
        // 6,000 empty files: the workspace holds no bytes, their archive (a 512-byte header each) about 3 MiB.
        const string yaml = """
            stages: [main]
            jobs:
              cached:
                stage: main
                image: alpine:3
                resources: { workspace: 2Mi }
                script: ["mkdir -p deps", "cd deps && i=0 && while [ $i -lt 6000 ]; do : > f$i; i=$((i+1)); done"]
                cache: { key: deps, paths: [deps/] }
            """;

        var run = await Harness.RunAsync(yaml);

        Assert.Equal(JobStatus.Succeeded, run.Job("cached").Status);
        var log = Harness.LogText(run, "cached");
        Assert.Contains("pipeliner: warning: cache not saved: its archives together hold more than the job's workspace limit of 2Mi (resources.workspace)", log);
        Assert.DoesNotContain(log, line => line.StartsWith("pipeliner: saved cache path", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Harness.Layout.Cache(Harness.Project, CacheScopes.Local.Save, "deps")));
        await AssertNoContainersLeftAsync(run);
    }
}
