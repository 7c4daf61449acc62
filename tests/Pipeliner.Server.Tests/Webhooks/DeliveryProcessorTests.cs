using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Server.Tests.Support;
using Pipeliner.Server.Webhooks;

namespace Pipeliner.Server.Tests.Webhooks;

/// <summary>
/// Processing a delivery exactly once while workers race for it or stall: the claim on the delivery row and the fenced
/// write of the run, exercised with real workers of the server and a git server that holds the fetch. Leases last
/// long here, so that only the test makes one expire, however slow the machine.
/// </summary>
public sealed class DeliveryProcessorTests(DeliveryProcessorTests.AppWithLongLeases app) : IClassFixture<DeliveryProcessorTests.AppWithLongLeases>
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    public sealed class AppWithLongLeases() : PipelinerApp(agentCapacity: 0, new Dictionary<string, string>
    {
        ["Pipeliner:Webhooks:LeaseDuration"] = "00:10:00",
    });

    [Fact]
    public async Task ProcessAsync_CreatesOneRun_WhenSeveralWorkersProcessTheSameDeliveryAtOnce()
    {
        await using var git = await HeldGitServer.StartAsync(GitRoot());
        var (client, project, deliveryId, rowId) = await DeliverWhileHeldAsync(git);
        using var _ = client;

        // The server's own worker took it and waits on the fetch; three more try at the same moment.
        var others = Enumerable.Range(0, 3).Select(_ => ProcessAsync(rowId)).ToList();
        try
        {
            // None of them may claim it: one that did would wait for the held fetch, and this would time out.
            await Task.WhenAll(others).WaitAsync(Bound);
        }
        finally
        {
            git.Release();
        }


        var delivery = await client.WaitForDeliveryAsync(project, deliveryId, DeliveryOutcomes.Run);
        Assert.Equal(1, await client.RunCountAsync(project));
        Assert.Equal(1, await AttemptsAsync(rowId));
        Assert.NotNull(delivery.RunNumber);
    }

    [Fact]
    public async Task ProcessAsync_CreatesOneRun_WhenAStalledWorkersLeaseExpiredAndAnotherTookIt()
    {
        await using var git = await HeldGitServer.StartAsync(GitRoot());
        var (client, project, deliveryId, rowId) = await DeliverWhileHeldAsync(git);
        using var _ = client;

        // The first worker still waits on its fetch when its lease runs out: a second worker takes the delivery over.
        await app.WithDbAsync(db => db.WebhookDeliveries.Where(d => d.Id == rowId)
            .ExecuteUpdateAsync(set => set.SetProperty(d => d.LeaseExpiresAt, DateTimeOffset.UtcNow.AddSeconds(-1))));
        var second = ProcessAsync(rowId);
        await Poll.UntilAsync(() => AttemptsAsync(rowId), attempts => attempts == 2 || second.IsCompleted, "the second worker to claim the delivery");
        Assert.False(second.IsCompleted, $"the second worker ended before the fetch was released: {second.Exception}");
        git.Release();
        await second.WaitAsync(Bound);

        await client.WaitForDeliveryAsync(project, deliveryId, DeliveryOutcomes.Run);
        // The first worker (the server's delivery worker) got its fetch too, and ended without writing a run.
        var queue = app.Services.GetRequiredService<DeliveryQueue>();
        await Poll.UntilAsync(() => Task.FromResult(queue.Processing), count => count == 0, "the first worker to end");
        Assert.Equal(1, await client.RunCountAsync(project));
        Assert.Equal(2, await AttemptsAsync(rowId));
    }

    private string GitRoot() => Directory.CreateDirectory(Path.Combine(app.WorkDir, "git")).FullName;

    /// <summary>
    /// A push to a project on the held git server, accepted; returns once a worker of the server has claimed it. Its fetch
    /// hangs (or waits behind the project's first clone, which reads the schedules at registration and hangs too).
    /// </summary>
    private async Task<(HttpClient Client, string Project, string DeliveryId, long RowId)> DeliverWhileHeldAsync(HeldGitServer git)
    {
        var name = $"repo-{Guid.NewGuid():N}";
        var repository = GitRepository.WithPipeline(Path.Combine(GitRoot(), name), Pipelines.OneJob);
        var client = app.Client();
        var project = app.NewProjectName("held");
        using (var created = await client.PostProjectAsync(project, git.UrlOf(name)))
            await Api.ExpectAsync(created, System.Net.HttpStatusCode.Created);
        var fixture = WebhookDelivery.Cases["github/push-branch.json"];
        var deliveryId = Guid.NewGuid().ToString();
        using var response = await client.SendAsync(
            WebhookDelivery.Request(project, fixture, WebhookDelivery.Rewritten(fixture, repository.Head()), Secrets.Webhook, deliveryId));
        Assert.Equal("accepted", (await response.AcceptedAsync()).Status);
        // On SQLite the row is written right after the answer (from the intake's journal).
        var rowId = await Poll.UntilAsync(
            () => app.WithDbAsync(db => db.WebhookDeliveries.Where(d => d.DeliveryId == deliveryId).Select(d => (long?)d.Id).SingleOrDefaultAsync()),
            id => id is not null, $"delivery {deliveryId} to be stored") ?? 0;
        await Poll.UntilAsync(() => AttemptsAsync(rowId), attempts => attempts == 1, "a worker of the server to claim the delivery");
        await git.WaitForFetchAsync();
        return (client, project, deliveryId, rowId);
    }

    private async Task ProcessAsync(long rowId)
    {
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<DeliveryProcessor>().ProcessAsync(rowId);
    }

    private Task<int> AttemptsAsync(long rowId) =>
        app.WithDbAsync(db => db.WebhookDeliveries.Where(d => d.Id == rowId).Select(d => d.Attempts).SingleAsync());
}
