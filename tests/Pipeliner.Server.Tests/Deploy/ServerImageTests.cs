using Pipeliner.TestSupport.Containers;

namespace Pipeliner.Server.Tests.Deploy;

/// <summary>
/// The server image that <c>deploy/docker/build-offline.sh</c> builds (<c>pipeliner/server:dev</c>), run as a container
/// on the real engine: it starts as the non-root user, keeps its state in <c>/data</c> and answers its health endpoint
/// on port 8080, as <c>deploy/docker/server.Dockerfile</c> and <c>deploy/kubernetes/server.yaml</c> expect.
/// </summary>
[Trait("Category", "Images")]
public sealed class ServerImageTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task ServerImage_AnswersItsHealthEndpoint_WhenStartedAsAContainer()
    {
        await OfflineImages.ConfigAsync(OfflineImages.Server);
        var name = OfflineImages.UniqueName("server");
        try
        {
            // The engine's default network: the container has only its own loopback, so the probe runs inside it.
            await DockerCommand.CheckedAsync("run", "-d", "--name", name, "--label", "io.pipeliner.test=images", OfflineImages.Server);

            var health = await WaitForHealthAsync(name);

            Assert.Equal("""{"status":"ok"}""", health.Trim());
            Assert.Equal($"{OfflineImages.UserId}", (await DockerCommand.CheckedAsync("exec", name, "id", "-u")).Trim());
            // The state went to the volume, written by that user; the first start printed the bootstrap admin token.
            var data = await DockerCommand.CheckedAsync("exec", name, "ls", "-ln", "/data");
            Assert.Matches($@"\s{OfflineImages.UserId}\s+{OfflineImages.UserId}\s.*pipeliner\.db\n", data);
            var logs = await DockerCommand.RunAsync("logs", name);
            Assert.Contains("Pipeliner: listening on http://[::]:8080", logs.Both, StringComparison.Ordinal);
            Assert.Contains("Data: /data", logs.Both, StringComparison.Ordinal);
        }
        finally
        {
            await DockerCommand.RemoveAsync(name);
        }
    }

    [Fact]
    public async Task OfflineServerImage_StartsLikeTheDockerfile_WhenInspected()
    {
        var config = await OfflineImages.ConfigAsync(OfflineImages.Server);
        var stage = DockerfileStage.ReadFinal(Path.Combine(OfflineImages.RepositoryRoot(), "deploy", "docker", "server.Dockerfile"));

        Assert.Empty(stage.DifferencesFrom(config));
        Assert.Equal($"{OfflineImages.UserId}:{OfflineImages.UserId}", stage.User);
        Assert.Equal("/data", stage.Environment["Pipeliner__DataDir"]);
    }

    private static async Task<string> WaitForHealthAsync(string container)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        DockerResult last;
        do
        {
            last = await DockerCommand.RunAsync("exec", container, "wget", "-qO-", "http://127.0.0.1:8080/healthz");
            if (last.ExitCode == 0) return last.Out;
            var state = await DockerCommand.CheckedAsync("inspect", "--format", "{{.State.Status}}", container);
            if (state.Trim() != "running")
                throw new InvalidOperationException($"the server container is {state.Trim()}: {(await DockerCommand.RunAsync("logs", container)).Both}");
            await Task.Delay(500);
        }
        while (DateTime.UtcNow < deadline);

        throw new TimeoutException($"the server container did not answer /healthz within {StartTimeout}: {last.Both}" +
                                   (await DockerCommand.RunAsync("logs", container)).Both);
    }
}
