using Pipeliner.Core.Runs;
using Pipeliner.Engine.Tests.Support;

namespace Pipeliner.Engine.Tests.Execution.Docker;

/// <summary>Services are sidecars on the job's network namespace; their logs are kept, their containers removed.</summary>
[Collection(DockerCollection.Name)]
public sealed class ServicesOnDockerTests(DockerEngineFixture engine) : DockerTest(engine)
{
    [Fact]
    public async Task ExecuteAsync_ReachesServiceOn127001KeepsItsLogAndRemovesIt_WhenJobHasAService()
    {
        const string yaml = """
            stages: [test]
            jobs:
              integration:
                stage: test
                image: alpine:3
                services:
                  - name: web
                    image: busybox:latest
                    command: ["sh", "-c", "echo web is starting; mkdir -p /www; echo hello-from-service > /www/index.html; exec httpd -f -v -p 8080 -h /www"]
                script:
                  - for i in $(seq 1 100); do wget -qO- http://127.0.0.1:8080/ 2>/dev/null && break; sleep 0.1; done
            """;

        var run = await Harness.RunAsync(yaml);

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Contains("hello-from-service", Harness.ScriptOutput(run, "integration"));
        Assert.Contains("pipeliner: service 'web' started (busybox:latest), reachable on 127.0.0.1", Harness.LogText(run, "integration"));
        var serviceLog = await File.ReadAllLinesAsync(Harness.Layout.ServiceLog(run.Id, "integration", 1, "web"));
        Assert.Contains(serviceLog, l => l.EndsWith(" web is starting", StringComparison.Ordinal));
        Assert.Contains(serviceLog, l => l.Contains("127.0.0.1", StringComparison.Ordinal));
        await AssertNoContainersLeftAsync(run);
    }

    [Fact]
    public async Task ExecuteAsync_FailsJobWithClearMessage_WhenServiceCommandCannotStart()
    {
        const string yaml = """
            stages: [test]
            jobs:
              broken:
                stage: test
                image: alpine:3
                services:
                  - name: db
                    image: busybox:latest
                    command: ["no-such-database-binary"]
                script: ["echo never"]
              fine:
                stage: test
                image: alpine:3
                script: ["echo still runs"]
            """;

        var run = await Harness.RunAsync(yaml);

        var attempt = run.Job("broken").Attempts.Single();
        Assert.Equal(JobStatus.Failed, attempt.Status);
        Assert.Equal("service 'db' (busybox:latest) cannot start: exec: \"no-such-database-binary\": executable file not found in $PATH",
            attempt.Message);
        Assert.Equal(JobStatus.Succeeded, run.Job("fine").Status);
        await AssertNoContainersLeftAsync(run);
    }
}
