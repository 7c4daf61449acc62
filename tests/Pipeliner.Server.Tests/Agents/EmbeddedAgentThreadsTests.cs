using System.Net;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Agents;

/// <summary>
/// A real server process runs the embedded agent's workers on threads of their own, niced below the server's
/// when <c>Pipeliner:Agent:BackgroundNice</c> is above zero, so that requests are answered first while runs execute; by
/// default (0) the workers run on the thread pool as before. Either way the job runs, its log is stored and the run succeeds.
/// </summary>
public sealed class EmbeddedAgentThreadsTests : IDisposable
{
    private readonly TempDirectory _directory = new("pipeliner-agent-threads-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Run_SucceedsWithTheWorkersOnNicedThreads_WhenBackgroundNiceIsTen()
    {
        if (!OperatingSystem.IsLinux()) return; // nice values per thread are Linux's
        await using var server = await RanAsync(settings: ["--Pipeliner:Agent:BackgroundNice=10"]);

        var threads = ProcessThreads.Of(server.ProcessId);
        var serverNice = threads.Single(t => t.Id == server.ProcessId).Nice;
        var workers = threads.Where(t => t.Name.StartsWith("Agent worker ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, workers.Count);
        Assert.All(workers, t => Assert.Equal(Math.Min(19, serverNice + 10), t.Nice));
        // Threads the pool or the job's log copy made while a worker asked for them are not left niced.
        Assert.All(threads.Where(t => !t.Name.StartsWith("Agent worker ", StringComparison.Ordinal) && !t.Name.StartsWith("Delivery ", StringComparison.Ordinal)),
            t => Assert.Equal(serverNice, t.Nice));
        Assert.DoesNotContain("The embedded agent failed", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SucceedsWithTheWorkersOnThePool_WithTheDefaultSettings()
    {
        if (!OperatingSystem.IsLinux()) return;
        await using var server = await RanAsync(settings: []);

        Assert.DoesNotContain(ProcessThreads.Of(server.ProcessId), t => t.Name.StartsWith("Agent worker ", StringComparison.Ordinal));
        Assert.DoesNotContain("The embedded agent failed", server.Output, StringComparison.Ordinal);
    }

    /// <summary>A server whose embedded agent (shell backend, capacity 2) has run a one-job run to its end.</summary>
    private async Task<ServerProcess> RanAsync(string[] settings)
    {
        var repository = GitRepository.WithPipeline(_directory.Combine("repo"), Pipelines.OneJob);
        var server = await ServerProcess.StartAsync(_directory.Combine("data"), agentCapacity: 2, settings: ["--Pipeliner:Agent:Backend=shell", .. settings]);
        using var client = server.Client();
        using (var created = await client.PostProjectAsync("shop", repository.Path))
            await Api.ExpectAsync(created, HttpStatusCode.Created);

        var id = await client.TriggerAsync("shop");
        var run = await client.WaitForFinishAsync(id, TimeSpan.FromSeconds(60));

        Assert.Equal("succeeded", run.Status);
        Assert.NotEmpty(await client.LogAsync(id, "build"));
        return server;
    }
}
