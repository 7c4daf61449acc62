using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.EndToEnd;

/// <summary>
/// Remote agents as an operator runs them: the real server process, real <c>pipeliner agent</c> processes and the real
/// Docker engine. Jobs wait with a precise reason until an agent with their labels comes, run there, get the artifacts of
/// jobs that ran on another agent; an agent killed with kill -9 loses its attempt within the lease and the job is retried
/// on another agent, and the killed agent removes its leftovers when it starts again. The tests that need a server of
/// their own (no agent ever seen, a short lease) start one; the others share the class's.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class RemoteAgentEndToEndTests(SharedServerProcess shared) : IClassFixture<SharedServerProcess>, IDisposable
{
    private const string Labels = """
        stages: [package, stress]
        defaults: { image: alpine:3 }
        jobs:
          package:
            stage: package
            runs-on: [linux, builder]
            script:
              - mkdir -p dist
              - echo "package built on $(hostname)" > dist/app.txt
            artifacts: { paths: [dist/] }
          stress:
            stage: stress
            needs: [package]
            runs-on: [linux, perf]           # as in samples/pipelines/delivery.pipeliner.yml
            script:
              - cat dist/app.txt
              - echo "stress test done"

        """;

    private readonly TempDirectory _directory = new("pipeliner-remote-agents-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Agents_RunJobsByLabelWithArtifactsFromAnotherAgent_AfterTheJobsWaitedWithReasons()
    {
        await DockerProbe.EnsureEngineAsync();
        await using var server = await ServerProcess.StartAsync(_directory.Combine("data"), agentCapacity: 0);
        using var admin = server.Client();
        var (token, id) = await TriggerWithTokenAsync(admin, "shop-api", Labels);

        await admin.WaitForRunAsync(id, r => r.Job("package").Reason == "no agent online", "the reason: no agent online");
        await using var perf = AgentProcess.Start(server.BaseAddress, token, "perf-1", "linux,docker,perf", _directory.Combine("perf-1"));
        await perf.WaitForOutputAsync("is waiting for jobs");
        await admin.WaitForRunAsync(id, r => r.Job("package").Reason == "no agent has the labels linux,builder (nearest: perf-1 lacks builder)",
            "the reason to name the nearest agent");

        await using var builder = AgentProcess.Start(server.BaseAddress, token, "builder-1", "linux,docker,builder", _directory.Combine("builder-1"));
        var run = await admin.WaitForFinishAsync(id, TimeSpan.FromSeconds(120));

        Assert.True(run.Status == "succeeded", $"run {run.Status}\nserver:\n{server.Output}\nperf-1:\n{perf.Output}\nbuilder-1:\n{builder.Output}");
        Assert.Equal(("builder-1", "perf-1"), (run.Job("package").Attempts.Single().Agent, run.Job("stress").Attempts.Single().Agent));
        var log = await admin.LogAsync(id, "stress");
        Assert.Contains("package built on", log, StringComparison.Ordinal);
        Assert.Contains("stress test done", log, StringComparison.Ordinal);
        var agents = await AgentsAsync(admin);
        Assert.Equal(["builder-1", "perf-1"], agents.Select(a => a.GetProperty("name").GetString()));
        Assert.All(agents, a => Assert.Equal("online", a.GetProperty("status").GetString()));
        Assert.Equal(["linux", "docker", "perf"], agents[1].GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
    }

    [Fact]
    public async Task Agent_RunsTheJobItsLastJobsEndBroughtBack_WithTheArtifactsItNeeds()
    {
        await DockerProbe.EnsureEngineAsync();
        var server = shared.Server;
        using var admin = server.Client();
        var (token, id) = await TriggerWithTokenAsync(admin, "chained", Labels);
        await using var agent = AgentProcess.Start(server.BaseAddress, token, "both-1", "linux,docker,builder,perf", _directory.Combine("both-1"));

        var run = await admin.WaitForFinishAsync(id, TimeSpan.FromSeconds(120));

        Assert.True(run.Status == "succeeded", $"run {run.Status}\nserver:\n{server.Output}\nagent:\n{agent.Output}");
        Assert.Equal(("both-1", "both-1"), (run.Job("package").Attempts.Single().Agent, run.Job("stress").Attempts.Single().Agent));
        // Made ready by package's end, stress came back in that end's answer: no jobs/next call between the two.
        Assert.Contains($"job 'stress' of run {id}: claimed with the end of job 'package'", agent.Output, StringComparison.Ordinal);
        Assert.Contains("package built on", await admin.LogAsync(id, "stress"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Agent_UploadsTheJobsTestReport_WhenItsScriptFailed()
    {
        await DockerProbe.EnsureEngineAsync();
        const string tests = """
            stages: [test]
            defaults: { image: alpine:3 }
            jobs:
              unit:
                stage: test
                runs-on: [reports]
                script:
                  - mkdir -p out
                  - printf '<testsuite><testcase name="adds" classname="Calc"/><testcase name="divides" classname="Calc"><failure message="expected 2">at Calc</failure></testcase></testsuite>' > out/TEST-calc.xml
                  - exit 1
                reports: { junit: [out/*.xml] }

            """;
        var server = shared.Server;
        using var admin = server.Client();
        var (token, id) = await TriggerWithTokenAsync(admin, "reports", tests);
        await using var agent = AgentProcess.Start(server.BaseAddress, token, "reporter-1", "linux,docker,reports", _directory.Combine("reporter-1"));

        var run = await admin.WaitForFinishAsync(id, TimeSpan.FromSeconds(120));

        Assert.True(run.Status == "failed", $"run {run.Status}\nserver:\n{server.Output}\nagent:\n{agent.Output}");
        Assert.Equal("reporter-1", run.Job("unit").Attempts.Single().Agent);
        var report = await admin.GetFromJsonAsync<JsonElement>($"/api/runs/{id}/tests");
        Assert.Equal((2, 1), (report.GetProperty("total").GetInt32(), report.GetProperty("failed").GetInt32()));
        Assert.Equal("divides", report.GetProperty("jobs")[0].GetProperty("failures")[0].GetProperty("name").GetString());
        Assert.Contains("pipeliner: test report 'out/TEST-calc.xml': 2 tests, 1 failed, 0 errored, 0 skipped", await admin.LogAsync(id, "unit"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task KilledAgent_LosesItsAttemptWithinTheLeaseAndTheJobRunsOnAnother_ThenItRemovesItsLeftovers()
    {
        await DockerProbe.EnsureEngineAsync();
        const string slow = """
            stages: [test]
            defaults: { image: alpine:3 }
            jobs:
              soak-e2e-agent:
                stage: test
                runs-on: [soak]
                script: ["echo soaking", "sleep 10", "echo soaked"]

            """;
        // Long enough that the agent, starved of CPU on a loaded machine, keeps it while it lives (with 3 s its attempt
        // was sometimes lost before the kill, and claimed again by the same agent).
        var lease = TimeSpan.FromSeconds(10);
        await using var server = await ServerProcess.StartAsync(_directory.Combine("data"), agentCapacity: 0,
            settings: [$"--Pipeliner:Agent:LeaseDuration={lease}"]);
        using var admin = server.Client();
        var repository = GitRepository.WithPipeline(_directory.Combine("repo"), slow);
        using (var created = await admin.PostProjectAsync("soak", repository.Path)) await Api.ExpectAsync(created, HttpStatusCode.Created);
        var token = await CreateRegistrationTokenAsync(admin);
        var doomed = AgentProcess.Start(server.BaseAddress, token, "doomed", "linux,soak", _directory.Combine("doomed"));
        await doomed.WaitForOutputAsync("is waiting for jobs");

        var id = await admin.TriggerAsync("soak");
        await admin.WaitForRunAsync(id, r => r.Job("soak-e2e-agent").Status == "running", "the job to run on the doomed agent");
        // Killed as soon as its job's container runs, read from the Docker engine: waiting for the job's first line to
        // reach the server took longer than the job's sleep on a loaded machine, and the job then ended before the kill.
        var doomedPid = doomed.ProcessId;
        await Poll.UntilAsync(() => DockerProbe.ContainersOfProcessAsync(doomedPid), c => c.Any(container => container.State == "running"),
            "the doomed agent's job container to run");
        await doomed.KillAsync();
        var killedAt = DateTimeOffset.UtcNow;
        Assert.NotEmpty(await DockerProbe.ContainersOfProcessAsync(doomedPid));

        var lost = await admin.WaitForRunAsync(id, r => r.Job("soak-e2e-agent").Attempts[0].Status != "running", "the attempt to be lost",
            lease + TimeSpan.FromSeconds(90));
        // When the server ended the attempt (its own record), not when this test's polling happened to see it on a loaded machine.
        var detectedAfter = (lost.Job("soak-e2e-agent").Attempts[0].FinishedAt ?? DateTimeOffset.UtcNow) - killedAt;
        var story = $"{System.Text.Json.JsonSerializer.Serialize(lost.Job("soak-e2e-agent"))}\nserver:\n{server.Output}\ndoomed:\n{doomed.Output}";
        var first = lost.Job("soak-e2e-agent").Attempts[0];
        Assert.True((first.Status, first.Cause, first.Message) == ("failed", "lost", "lost: its agent doomed stopped answering (lease expired)"), story);
        Assert.True(detectedAfter < lease + TimeSpan.FromSeconds(15), $"lost after {detectedAfter}, lease {lease}\n{story}");
        Assert.True(lost.Job("soak-e2e-agent").Status == "pending", story);

        await using var rescuer = AgentProcess.Start(server.BaseAddress, token, "rescuer", "linux,soak", _directory.Combine("rescuer"));
        var run = await admin.WaitForFinishAsync(id, TimeSpan.FromSeconds(120));
        Assert.True(run.Status == "succeeded", $"run {run.Status}\n{server.Output}\n{rescuer.Output}");
        Assert.True(run.Job("soak-e2e-agent").Attempts is [_, { Agent: "rescuer", Number: 2 }],
            $"{System.Text.Json.JsonSerializer.Serialize(run.Job("soak-e2e-agent"))}\nserver:\n{server.Output}\nrescuer:\n{rescuer.Output}");
        Assert.Contains("soaked", await admin.LogAsync(id, "soak-e2e-agent", attempt: 2), StringComparison.Ordinal);

        // The killed agent, started again with the same command, reconnects with its credential and removes its old containers.
        await using var restarted = AgentProcess.Start(server.BaseAddress, token: null, "doomed", "linux,soak", _directory.Combine("doomed"));
        await restarted.WaitForOutputAsync("is waiting for jobs");
        Assert.Empty(await DockerProbe.ContainersOfProcessAsync(doomedPid));
        Assert.DoesNotContain("registered as", restarted.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Agent_FinishesItsJobThenExits_WhenItIsAskedToStop()
    {
        await DockerProbe.EnsureEngineAsync();
        const string pipeline = """
            stages: [test]
            defaults: { image: alpine:3 }
            jobs:
              drain:
                stage: test
                runs-on: [drain]
                script: ["echo started", "sleep 5", "echo drained"]

            """;
        var server = shared.Server;
        using var admin = server.Client();
        var repository = GitRepository.WithPipeline(_directory.Combine("repo"), pipeline);
        using (var created = await admin.PostProjectAsync("drain", repository.Path)) await Api.ExpectAsync(created, HttpStatusCode.Created);
        await using var agent = AgentProcess.Start(server.BaseAddress, await CreateRegistrationTokenAsync(admin), "drainer", "linux,drain", _directory.Combine("drainer"));
        await agent.WaitForOutputAsync("is waiting for jobs");
        var id = await admin.TriggerAsync("drain");
        await admin.WaitForRunAsync(id, r => r.Job("drain").Status == "running", "the job to start");
        // Running on the agent, not only claimed on the server: a claim whose answer the stopping agent never read is
        // recovered by its lease (docs/operations.md), which is not what this test is about.
        await Poll.UntilAsync(() => admin.LogAsync(id, "drain"), log => log.Contains("started", StringComparison.Ordinal), "the job's first line");

        await agent.SignalAsync();
        await agent.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(0, agent.ExitCode);
        // The agent exits once its done was acknowledged; the run's own end follows from it on the server.
        var run = await admin.GetRunAsync(id);
        for (var waited = 0; !run.IsFinished && waited < 120; waited++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            run = await admin.GetRunAsync(id);
        }

        Assert.True(run.Status == "succeeded" && run.Job("drain").Status == "succeeded",
            $"run {run.Status}, job {run.Job("drain").Status}\nagent:\n{agent.Output}\nserver:\n{server.Output}");
        Assert.Contains("drained", await admin.LogAsync(id, "drain"), StringComparison.Ordinal);
    }

    /// <summary>A project with <paramref name="pipeline"/>, an agent registration token, and a run triggered on it.</summary>
    private async Task<(string Token, long RunId)> TriggerWithTokenAsync(HttpClient admin, string project, string pipeline)
    {
        var repository = GitRepository.WithPipeline(_directory.Combine("repo"), pipeline);
        using (var created = await admin.PostProjectAsync(project, repository.Path)) await Api.ExpectAsync(created, HttpStatusCode.Created);
        var token = await CreateRegistrationTokenAsync(admin);
        return (token, await admin.TriggerAsync(project));
    }

    private static async Task<string> CreateRegistrationTokenAsync(HttpClient admin)
    {
        using var response = await admin.PostAsJsonAsync("/api/agents/tokens", new { name = "e2e" });
        await Api.ExpectAsync(response, HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
    }

    private static async Task<List<JsonElement>> AgentsAsync(HttpClient admin)
    {
        using var response = await admin.GetAsync("/api/agents");
        await Api.ExpectAsync(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().ToList();
    }
}
