using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pipeliner.Server.Tests.Support;
using Pipeliner.TestSupport.Containers;

namespace Pipeliner.Server.Tests.Deploy;

/// <summary>
/// End to end, as a user runs the agent image: a real server process on 127.0.0.1 (no embedded agent), an agent running
/// as a container from <c>pipeliner/agent:dev</c> (user 10001, the engine's socket mounted, its work directory at the
/// same path as on the host) registers with a registration token, takes a job that asks for its label, and runs it in a
/// sibling container on the same engine; <c>docker stop</c> stops it cleanly.
/// </summary>
[Trait("Category", "Images")]
public sealed class ContainerizedAgentTests : IDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(180);
    private readonly TempDirectory _directory = new("pipeliner-agent-image-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task AgentContainer_RunsAJobInASiblingContainer_WhenRegisteredWithTheServer()
    {
        await DockerProbe.EnsureEngineAsync();
        await OfflineImages.ConfigAsync(OfflineImages.Agent);
        var id = Guid.NewGuid().ToString("N")[..8];
        var (agentName, label) = ($"container-agent-{id}", $"in-container-{id}");
        var repository = GitRepository.Create(_directory.Combine("repo"), new Dictionary<string, string>
        {
            [".pipeliner.yml"] = $$"""
                stages: [test]
                defaults: { image: alpine:3 }
                jobs:
                  hello:
                    stage: test
                    runs-on: [linux, {{label}}]
                    script:
                      - cat message.txt
                      - echo "job user $(id -u), job host $(hostname)"

                """,
            ["message.txt"] = "checked out for the containerized agent\n",
        });
        await using var server = await ServerProcess.StartAsync(_directory.Combine("data"), agentCapacity: 0);
        using var client = server.Client();
        using (var project = await client.PostProjectAsync("images", repository.Path))
            await Api.ExpectAsync(project, HttpStatusCode.Created);
        string token;
        using (var created = await client.PostAsJsonAsync("/api/agents/tokens", new { name = "containers" }))
        {
            await Api.ExpectAsync(created, HttpStatusCode.Created);
            token = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
        }

        var work = _directory.Combine("agent-work");
        Directory.CreateDirectory(work);
        Run("chown", $"{OfflineImages.UserId}:{OfflineImages.UserId}", work);
        var socket = EngineSocket();
        var container = OfflineImages.UniqueName("agent");
        try
        {
            // Host network: the container reaches the server on this machine's 127.0.0.1 (the engine has no bridge).
            await DockerCommand.CheckedAsync("run", "-d", "--name", container, "--label", "io.pipeliner.test=images", "--network", "host",
                "-v", $"{socket}:/var/run/docker.sock", "--group-add", Run("stat", "-c", "%g", socket).Trim(),
                "-v", $"{work}:{work}", "-e", $"PIPELINER_AGENT_TOKEN={token}",
                OfflineImages.Agent, "agent", "--server", server.BaseAddress.ToString(), "--name", agentName,
                "--labels", $"linux,docker,{label}", "--capacity", "1", "--work-dir", work);

            var listed = await Poll.UntilAsync(() => AgentAsync(client, agentName), agent => agent?.GetProperty("status").GetString() == "online",
                $"agent {agentName} to be online", TimeSpan.FromSeconds(90)).WithLogsOf(container);
            Assert.Equal(["linux", "docker", label], listed!.Value.GetProperty("labels").EnumerateArray().Select(l => l.GetString()!));
            Assert.Equal(1, listed.Value.GetProperty("capacity").GetInt32());

            var runId = await client.TriggerAsync("images", new { branch = "main" });
            var run = await client.WaitForFinishAsync(runId, RunTimeout).WithLogsOf(container);

            Assert.True(run.Jobs.Count == 1, $"run {run.Status}: {string.Join("; ", run.Errors?.Select(e => $"{e.Line}:{e.Column}: {e.Message}") ?? [])}");
            var attempt = run.Job("hello").Attempts.Single();
            Assert.True(run.Status == "succeeded", $"run {run.Status}: {attempt.Message}\n{await Logs(container)}");
            Assert.Equal(agentName, attempt.Agent);
            var log = await client.LogAsync(runId, "hello");
            // The workspace the agent wrote under its work directory is what the sibling container saw at /workspace.
            Assert.Contains("checked out for the containerized agent", log, StringComparison.Ordinal);
            // The job ran as the image's root in a container of its own, not in the agent's (user 10001, host's name).
            var host = Assert.Single(System.Text.RegularExpressions.Regex.Matches(log, @"job user (\d+), job host (\S+)"));
            Assert.Equal("0", host.Groups[1].Value);
            Assert.NotEqual(Environment.MachineName, host.Groups[2].Value);

            // docker stop (SIGTERM to the entrypoint): the agent stops taking jobs and exits by itself, with 0.
            await DockerCommand.CheckedAsync("stop", "-t", "60", container);
            Assert.Equal("0", (await DockerCommand.CheckedAsync("inspect", "--format", "{{.State.ExitCode}}", container)).Trim());
            Assert.Contains("stopping: no new jobs", await Logs(container), StringComparison.Ordinal);
        }
        finally
        {
            await DockerCommand.RemoveAsync(container);
        }
    }

    private static async Task<JsonElement?> AgentAsync(HttpClient client, string name)
    {
        var agents = await client.GetFromJsonAsync<JsonElement>("/api/agents");
        return agents.EnumerateArray().Cast<JsonElement?>().FirstOrDefault(a => a!.Value.GetProperty("name").GetString() == name);
    }

    private static async Task<string> Logs(string container) => (await DockerCommand.RunAsync("logs", container)).Both;

    /// <summary>The engine's socket on this machine (DOCKER_HOST, else the default), mounted into the agent's container.</summary>
    private static string EngineSocket()
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } value ? value : "unix:///var/run/docker.sock";
        return host.StartsWith("unix://", StringComparison.Ordinal)
            ? host["unix://".Length..]
            : throw new InvalidOperationException($"the agent container needs the engine's unix socket; DOCKER_HOST is {host}");
    }

    private static string Run(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0
            ? output
            : throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {error}");
    }
}

internal static class ContainerLogsExtensions
{
    /// <summary>A wait that fails with the agent container's output, which says why it did not register or run.</summary>
    public static async Task<T> WithLogsOf<T>(this Task<T> wait, string container)
    {
        try
        {
            return await wait;
        }
        catch (Exception e) when (e is Xunit.Sdk.XunitException or TimeoutException)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\nagent container output:\n{(await DockerCommand.RunAsync("logs", container)).Both}");
        }
    }
}
