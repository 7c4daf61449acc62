using System.Diagnostics;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Tests.Support.Kubernetes;

namespace Pipeliner.Engine.Tests.Execution.Kubernetes;

/// <summary>How a job's Pod ends and what the job's report and log say: output, exit code, OOM, timeout, cancel.</summary>
public sealed class OutcomeOnKubernetesTests
{
    private const string Yaml = """
        stages: [test]
        jobs:
          unit-tests: { stage: test, image: alpine:3, timeout: 10m, resources: { memory: 64Mi }, secrets: [TOKEN], script: ["make test"] }
          slow: { stage: test, image: alpine:3, timeout: 2s, script: ["sleep 300"] }
          plain: { stage: test, image: alpine:3, script: ["true"] }
          filler: { stage: test, image: alpine:3, resources: { workspace: 8Mi }, script: ["dd if=/dev/zero of=big.bin bs=1M count=64"] }
        """;

    private static readonly Dictionary<string, string> Secrets = new() { ["TOKEN"] = "tok-9f8e7d" };

    [Fact]
    public async Task RunAsync_StoresTheOutputAsItIsWritten_WhenTheLogIsFollowed()
    {
        await using var harness = await KubernetesJobHarness.StartAsync();
        var halfway = new TaskCompletionSource();
        var seenHalfway = new TaskCompletionSource();
        harness.Api.Kubelet = async pod =>
        {
            pod.Start();
            pod.Write("job", "$ make test\ncompiling with tok-9f8e7d\n");
            halfway.SetResult();
            await seenHalfway.Task.WaitAsync(TimeSpan.FromSeconds(30));
            pod.Write("job", "ok 1 - parses\nok 2 - ");
            pod.Write("job", "plans\n");
            pod.Exit("job", 0);
        };
        var lines = new List<string>();

        var running = harness.Runner.RunAsync(KubernetesJobHarness.Assignment(Yaml, "unit-tests", Secrets), line =>
        {
            lock (lines) lines.Add(line.Text);
            if (line.Text.StartsWith("compiling", StringComparison.Ordinal)) seenHalfway.TrySetResult();
        }, CancellationToken.None);
        var report = await running.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(halfway.Task.IsCompleted);
        Assert.Equal(JobStatus.Succeeded, report.Outcome.Status);
        var log = KubernetesJobHarness.LogText(report);
        Assert.Equal("pipeliner: job 'unit-tests', attempt 1, on the kubernetes backend, image alpine:3", log[0]);
        Assert.Equal(["$ make test", "compiling with ***", "ok 1 - parses", "ok 2 - plans", "pipeliner: job succeeded"], log[1..]);
        Assert.Contains("compiling with ***", lines);
        Assert.Contains(harness.Api.Requests, r => r.PathAndQuery.Contains("/log?", StringComparison.Ordinal) &&
                                                  r.PathAndQuery.Contains("container=job", StringComparison.Ordinal) &&
                                                  r.PathAndQuery.Contains("follow=true", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_FailsWithTheContainersExitCode_WhenTheScriptFails()
    {
        await using var harness = await KubernetesJobHarness.StartAsync();
        harness.Api.Kubelet = pod =>
        {
            pod.Start();
            pod.Write("job", "FAIL: 3 tests\n");
            pod.Exit("job", 3);
            return Task.CompletedTask;
        };

        var report = await harness.RunAsync(KubernetesJobHarness.Assignment(Yaml, "unit-tests", Secrets));

        Assert.Equal(JobStatus.Failed, report.Outcome.Status);
        Assert.Equal(3, report.Outcome.ExitCode);
        Assert.Equal("exit code 3", report.Outcome.Message);
        Assert.Contains("FAIL: 3 tests", KubernetesJobHarness.LogText(report));
        Assert.Empty(harness.Api.Pods);
    }

    [Fact]
    public async Task RunAsync_ReportsOutOfMemory_WhenTheContainerIsOomKilled()
    {
        await using var harness = await KubernetesJobHarness.StartAsync();
        harness.Api.Kubelet = pod =>
        {
            pod.Start();
            pod.Exit("job", 137, "OOMKilled");
            return Task.CompletedTask;
        };

        var report = await harness.RunAsync(KubernetesJobHarness.Assignment(Yaml, "unit-tests", Secrets));

        Assert.Equal(JobStatus.Failed, report.Outcome.Status);
        Assert.Equal(137, report.Outcome.ExitCode);
        Assert.Equal("killed: out of memory, limit 64Mi", report.Outcome.Message);
    }

    [Fact]
    public async Task RunAsync_FailsSayingTheWorkspaceExceededItsLimit_WhenTheKubeletEvictsThePodForIt()
    {
        await using var harness = await KubernetesJobHarness.StartAsync();
        harness.Api.Kubelet = async pod =>
        {
            pod.Start();
            pod.Write("job", "$ dd if=/dev/zero of=big.bin bs=1M count=64\n");
            await Task.Delay(200);
            // As the kubelet words it for the sizeLimit the Pod was given (8Mi).
            pod.Evict("Usage of EmptyDir volume \"workspace\" exceeds the limit \"8Mi\". ");
        };

        var report = await harness.RunAsync(KubernetesJobHarness.Assignment(Yaml, "filler"));

        Assert.Equal(JobStatus.Failed, report.Outcome.Status);
        Assert.Null(report.Outcome.ExitCode);
        Assert.Equal("the workspace exceeded its limit of 8Mi (resources.workspace)", report.Outcome.Message);
        var log = KubernetesJobHarness.LogText(report);
        Assert.Contains(log, line => line.StartsWith("pipeliner: the workspace exceeded its limit of 8Mi (resources.workspace): the kubelet evicted the Pod pipeliner-17-filler-1-", StringComparison.Ordinal) &&
                                     line.EndsWith(": Usage of EmptyDir volume \"workspace\" exceeds the limit \"8Mi\".", StringComparison.Ordinal));
        Assert.Equal("pipeliner: job failed: the workspace exceeded its limit of 8Mi (resources.workspace)", log[^1]);
        Assert.Empty(harness.Api.Pods);
        var sent = System.Text.Json.Nodes.JsonNode.Parse(harness.Api.Requests.Single(r => r.Method == "POST" && r.PathAndQuery.EndsWith("/pods", StringComparison.Ordinal)).Body)!;
        Assert.Equal("""[{"emptyDir":{"sizeLimit":"8388608"},"name":"workspace"}]""", sent["spec"]!["volumes"]!.ToJsonString());
    }

    [Fact]
    public async Task RunAsync_FailsSayingTheWorkspaceExceededItsLimit_WhenThePodIsEvictedWhileItsWorkspaceIsFetched()
    {
        await using var harness = await KubernetesJobHarness.StartAsync();
        harness.Api.Kubelet = pod =>
        {
            pod.Evict("Usage of EmptyDir volume \"workspace\" exceeds the limit \"8Mi\". ");
            return Task.CompletedTask;
        };

        var report = await harness.RunAsync(KubernetesJobHarness.Assignment(Yaml, "filler"));

        Assert.Equal(JobStatus.Failed, report.Outcome.Status);
        Assert.Equal("the workspace exceeded its limit of 8Mi (resources.workspace)", report.Outcome.Message);
        Assert.Empty(harness.Api.Pods);
    }

    [Fact]
    public async Task RunAsync_TimesOutAndDeletesThePod_WhenTheJobOutlivesItsTimeout()
    {
        await using var harness = await KubernetesJobHarness.StartAsync();
        harness.Api.Kubelet = pod =>
        {
            pod.Start();
            pod.Write("job", "$ sleep 300\n");
            return Task.CompletedTask;
        };
        var clock = Stopwatch.StartNew();

        var report = await harness.RunAsync(KubernetesJobHarness.Assignment(Yaml, "slow"));

        // The Pod never ends by itself: ending at all proves the timeout; the bound leaves room for a loaded machine.
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"the 2s timeout took {clock.Elapsed}");
        Assert.Equal(JobStatus.TimedOut, report.Outcome.Status);
        Assert.Equal("timed out after 2s", report.Outcome.Message);
        Assert.Empty(harness.Api.Pods);
        Assert.Contains(harness.Api.Requests, r => r.Method == "DELETE" && r.PathAndQuery.Contains("/pods/pipeliner-17-slow-1-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_TimesOut_WhenThePodPassesItsDeadline()
    {
        await using var harness = await KubernetesJobHarness.StartAsync();
        harness.Api.Kubelet = async pod =>
        {
            pod.Start();
            await Task.Delay(300);
            pod.PassDeadline();
        };

        var report = await harness.RunAsync(KubernetesJobHarness.Assignment(Yaml, "plain"));

        Assert.Equal(JobStatus.TimedOut, report.Outcome.Status);
        Assert.Equal("timed out after 1h", report.Outcome.Message);
        Assert.Empty(harness.Api.Pods);
    }

    [Fact]
    public async Task RunAsync_DeletesThePodAndIsCanceled_WhenCanceled()
    {
        await using var harness = await KubernetesJobHarness.StartAsync();
        harness.Api.Kubelet = pod =>
        {
            pod.Start();
            pod.Write("job", "working\n");
            return Task.CompletedTask;
        };
        using var cancel = new CancellationTokenSource();
        var working = new TaskCompletionSource();

        var running = harness.Runner.RunAsync(KubernetesJobHarness.Assignment(Yaml, "plain"), line =>
        {
            if (line.Text == "working") working.TrySetResult();
        }, cancel.Token);
        await working.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var pod = harness.Api.Pods.Single();
        await cancel.CancelAsync();
        var report = await running.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(JobStatus.Canceled, report.Outcome.Status);
        Assert.True(pod.IsDeleted);
        var delete = harness.Api.Requests.Single(r => r.Method == "DELETE" && r.PathAndQuery.EndsWith("/pods/" + pod.Name, StringComparison.Ordinal));
        Assert.Contains("\"gracePeriodSeconds\":1", delete.Body, StringComparison.Ordinal);
        Assert.Contains("working", KubernetesJobHarness.LogText(report));
    }

    [Fact]
    public async Task RunAsync_FailsSayingWhy_WhenTheWorkspaceCannotBeFetched()
    {
        await using var harness = await KubernetesJobHarness.StartAsync();
        harness.Api.Kubelet = pod =>
        {
            pod.FailFetch(1, "wget: server returned error: HTTP/1.1 401 Unauthorized\npipeliner: cannot download the commit's tree from http://pipeliner.test:8080/api/agent/attempts/42/source.tar\n");
            return Task.CompletedTask;
        };

        var report = await harness.RunAsync(KubernetesJobHarness.Assignment(Yaml, "plain"));

        Assert.Equal(JobStatus.Failed, report.Outcome.Status);
        Assert.Equal("the workspace could not be fetched: wget: server returned error: HTTP/1.1 401 Unauthorized " +
                     "pipeliner: cannot download the commit's tree from http://pipeliner.test:8080/api/agent/attempts/42/source.tar", report.Outcome.Message);
        Assert.Empty(harness.Api.Pods);
    }

    [Fact]
    public async Task RunAsync_FailsBeforeTheScript_WhenTheImageCannotBePulled()
    {
        await using var harness = await KubernetesJobHarness.StartAsync();
        harness.Api.Kubelet = pod =>
        {
            pod.Wait("job", "ImagePullBackOff", "Back-off pulling image \"alpine:3\"");
            return Task.CompletedTask;
        };

        var report = await harness.RunAsync(KubernetesJobHarness.Assignment(Yaml, "plain"));

        Assert.Equal(JobStatus.Failed, report.Outcome.Status);
        Assert.Equal("the job's container (alpine:3) cannot start: ImagePullBackOff: Back-off pulling image \"alpine:3\"", report.Outcome.Message);
        Assert.Empty(harness.Api.Pods);
    }

    [Fact]
    public async Task RunAsync_FailsSayingWhy_WhenTheClusterRefusesThePod()
    {
        await using var harness = await KubernetesJobHarness.StartAsync();
        harness.Api.Admission = _ => (System.Net.HttpStatusCode.Forbidden, "Forbidden",
            "pods \"pipeliner-17-plain\" is forbidden: exceeded quota: ci-quota, requested: limits.memory=64Mi, used: limits.memory=4Gi, limited: limits.memory=4Gi");

        var report = await harness.RunAsync(KubernetesJobHarness.Assignment(Yaml, "plain"));

        Assert.Equal(JobStatus.Failed, report.Outcome.Status);
        Assert.StartsWith("the cluster refuses the job's Pod: pods \"pipeliner-17-plain\" is forbidden: exceeded quota: ci-quota", report.Outcome.Message, StringComparison.Ordinal);
        Assert.Empty(harness.Api.Secrets);
    }
}
