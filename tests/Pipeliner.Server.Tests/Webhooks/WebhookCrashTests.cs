using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data;
using Pipeliner.Server.Tests.Support;
using Pipeliner.Server.Webhooks;
using Xunit.Abstractions;

namespace Pipeliner.Server.Tests.Webhooks;

/// <summary>
/// kill -9 of a real server process while it processes a webhook (its fetch held by a git server that does not answer):
/// after the restart the delivery becomes its one run within a minute, and the forge's redelivery of it is a duplicate,
/// logged once and without a stack trace.
/// </summary>
public sealed class WebhookCrashTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _directory = new("pipeliner-webhook-crash-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Restart_ProcessesTheDeliveryOnceWithinAMinute_WhenTheServerWasKilledWhileProcessingIt()
    {
        var gitRoot = Directory.CreateDirectory(_directory.Combine("git")).FullName;
        var repository = GitRepository.WithPipeline(Path.Combine(gitRoot, "shop"), Pipelines.OneJob);
        await using var git = await HeldGitServer.StartAsync(gitRoot);
        var dataDir = _directory.Combine("data");
        var fixture = WebhookDelivery.Cases["github/push-branch.json"];
        var body = WebhookDelivery.Rewritten(fixture, repository.Head());
        var deliveryId = Guid.NewGuid().ToString();

        // The restarted server takes the delivery up when the killed one's lease has run out: 10 s instead of the default
        // 30 s, which the test would only wait out (as long as the agents' leases in the end-to-end tests, kept under load).
        string[] settings = ["--Pipeliner:Webhooks:LeaseDuration=00:00:10"];
        await using (var server = await ServerProcess.StartAsync(dataDir, agentCapacity: 0, settings: settings))
        {
            using var client = server.Client();
            using (var created = await client.PostProjectAsync("shop", git.UrlOf("shop")))
                await Api.ExpectAsync(created, HttpStatusCode.Created);
            using (var response = await client.SendAsync(WebhookDelivery.Request("shop", fixture, body, Secrets.Webhook, deliveryId)))
                Assert.Equal("accepted", (await response.AcceptedAsync()).Status);
            // A worker claimed it and waits on the repository (its fetch, or the project's first clone, hangs).
            await Poll.UntilAsync(() => LeaseOwnerAsync(dataDir, deliveryId), owner => owner is not null, "a worker to claim the delivery");
            await git.WaitForFetchAsync();
            await server.KillAsync();
        }

        git.Release();
        await using var restarted = await ServerProcess.StartAsync(dataDir, agentCapacity: 0, settings: settings);
        var started = Stopwatch.StartNew();
        using var again = restarted.Client();
        var delivery = await again.WaitForDeliveryAsync("shop", deliveryId, DeliveryOutcomes.Run, TimeSpan.FromSeconds(60));
        output.WriteLine($"processed {started.Elapsed.TotalSeconds:F1} s after the restart");

        Assert.Equal(1, await again.RunCountAsync("shop"));
        Assert.Equal((await again.GetRunAsync(delivery.RunId!.Value)).Number, delivery.RunNumber);
        using (var duplicate = await again.SendAsync(WebhookDelivery.Request("shop", fixture, body, Secrets.Webhook, deliveryId)))
            Assert.Equal("duplicate", (await duplicate.AcceptedAsync()).Status);
        Assert.Equal(1, await again.RunCountAsync("shop"));
        // The console logger writes from a queue of its own, and the test reads the process's output as it comes: the
        // duplicate's line can arrive after its answer.
        await Poll.UntilAsync(() => restarted.Output.Contains("was received before", StringComparison.Ordinal), "the duplicate's log line");
        Assert.Single(Regex.Matches(restarted.Output, "was received before"));
        Assert.DoesNotContain("Exception", restarted.Output, StringComparison.Ordinal);
    }

    /// <summary>Who holds the delivery, read from the server's database file as it runs.</summary>
    private static async Task<string?> LeaseOwnerAsync(string dataDir, string deliveryId)
    {
        await using var db = new PipelinerDbContext(new DbContextOptionsBuilder<PipelinerDbContext>()
            .UseSqlite($"Data Source={Path.Combine(dataDir, "pipeliner.db")};Mode=ReadOnly;Pooling=False").Options);
        return await db.WebhookDeliveries.Where(d => d.DeliveryId == deliveryId).Select(d => d.LeaseOwner).FirstOrDefaultAsync();
    }
}
