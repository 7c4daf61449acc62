using System.Text;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Execution;
using Pipeliner.Engine.Tests.Support;

namespace Pipeliner.Engine.Tests.Execution.Docker;

/// <summary>Secrets reach the jobs that list them and never appear in a stored or observed log.</summary>
[Collection(DockerCollection.Name)]
public sealed class SecretsOnDockerTests(DockerEngineFixture engine) : DockerTest(engine)
{
    private const string Token = "tok-2f9a7c41e8b3d650";
    private const string Key = "-----BEGIN TEST KEY-----\nMIIBOgIBAAJBAKj34GkxFhD9\nqhkiG9w0BAQEFAASCAT8wggE7\n-----END TEST KEY-----";

    [Fact]
    public async Task ExecuteAsync_InjectsSecretsAndMasksEveryFormInLogs_WhenJobListsThem()
    {
        const string yaml = """
            stages: [deploy]
            jobs:
              deploy:
                stage: deploy
                image: alpine:3
                secrets: [TOKEN, KEY]
                script:
                  - test "$TOKEN" = "tok-2f9a7c41e8b3d650" && echo token arrived
                  - echo "token=$TOKEN"
                  - echo $TOKEN | base64
                  - printf '%s' "prefix-$TOKEN" | base64
                  - echo "$KEY"
                  - printf '%s' "${TOKEN%??????????}"; sleep 1; printf '%s\n' "${TOKEN#??????????}"
                  - echo done
            """;

        var run = await Harness.RunAsync(yaml, new RunOptions { Secrets = new Dictionary<string, string> { ["TOKEN"] = Token, ["KEY"] = Key } });

        Assert.Equal(RunStatus.Succeeded, run.Status);
        var output = Harness.ScriptOutput(run, "deploy").Where(l => !l.StartsWith("$ ", StringComparison.Ordinal)).ToList();
        Assert.Equal("token arrived", output[0]);
        Assert.Equal("token=***", output[1]);
        Assert.StartsWith("***", output[2]);
        Assert.Equal(["***", "***", "***", "***"], output.Skip(4).Take(4));
        Assert.Equal("***", output[8]);
        Assert.Equal("done", output[9]);
        var stored = await File.ReadAllTextAsync(Harness.Layout.JobLog(run.Id, "deploy", 1));
        foreach (var leak in Leaks()) Assert.DoesNotContain(leak, stored);
        foreach (var leak in Leaks()) Assert.DoesNotContain(Harness.Observer.AllLines, l => l.Contains(leak, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ExecuteAsync_MasksSecretsOfTheRun_WhenJobDoesNotListThem()
    {
        const string yaml = """
            stages: [build]
            jobs:
              build: { stage: build, image: alpine:3, script: ["echo tok-2f9a7c41e8b3d650 typed by hand"] }
            """;

        var run = await Harness.RunAsync(yaml, new RunOptions { Secrets = new Dictionary<string, string> { ["TOKEN"] = Token } });

        Assert.Contains("*** typed by hand", Harness.ScriptOutput(run, "build"));
        Assert.Contains("$ echo *** typed by hand", Harness.ScriptOutput(run, "build"));
    }

    [Fact]
    public async Task ExecuteAsync_FailsBeforeStartingNamingTheSecretWithoutRetrying_WhenASecretIsMissing()
    {
        const string yaml = """
            stages: [deploy]
            jobs:
              deploy: { stage: deploy, image: alpine:3, retry: 2, secrets: [TOKEN, DEPLOY_KEY], script: ["echo should not run"] }
            """;

        var run = await Harness.RunAsync(yaml, new RunOptions { Secrets = new Dictionary<string, string> { ["TOKEN"] = Token } });

        var attempt = run.Job("deploy").Attempts.Single();
        Assert.Equal(JobStatus.Failed, attempt.Status);
        Assert.Equal("secret not provided: DEPLOY_KEY", attempt.Message);
        Assert.Equal(FailureCause.Configuration, attempt.Cause);
        Assert.Equal(
        [
            "pipeliner: job 'deploy', attempt 1, on the docker backend, image alpine:3",
            "pipeliner: job failed before it started: secret not provided: DEPLOY_KEY (a configuration fault: not retried)",
        ], Harness.LogText(run, "deploy"));
    }

    /// <summary>Fragments that must never be readable: the values, lines of the key, the base64 cores.</summary>
    private static IEnumerable<string> Leaks() =>
    [
        Token, Token[..10], Token[10..], "MIIBOgIBAAJBAKj34GkxFhD9", "qhkiG9w0BAQEFAASCAT8wggE7",
        Convert.ToBase64String(Encoding.UTF8.GetBytes(Token))[..20],
        Convert.ToBase64String(Encoding.UTF8.GetBytes("prefix-" + Token))[12..28],
    ];
}
