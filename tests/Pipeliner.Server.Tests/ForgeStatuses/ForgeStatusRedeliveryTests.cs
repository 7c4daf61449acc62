using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.ForgeStatuses;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.ForgeStatuses;

/// <summary>
/// The sweep that sends a forge's final word again after Hangfire gave up: the states are staged in the database as the
/// outbox leaves them (an outage longer than every retry cannot be waited for in a test), the delivery is real.
/// </summary>
public class ForgeStatusRedeliveryTests(ForgeStatusApp app) : IClassFixture<ForgeStatusApp>
{
    [Fact]
    public async Task ResendUnsettled_DeliversOnlyTheNewestStateWhoseRetriesEnded_WhenOthersAreRecentTooOldOrSettled()
    {
        await using var forge = await RecordingForge.StartAsync();
        var (client, _, runId) = await app.SettledRunFromWebhookAsync(ForgeCase.All["github"], forge);
        using var _ = client;

        var now = DateTimeOffset.UtcNow;
        // The run's context: a newer state whose last try failed 20 minutes ago, after every retry (15 minutes quiet is due).
        var retriesEnded = await StageAsync(runId, "pipeliner", "failure", "Run #1 failed", now.AddMinutes(-40), lastTry: now.AddMinutes(-20));
        // Tried a minute ago: Hangfire may still be retrying it.
        var stillRetrying = await StageAsync(runId, "pipeliner/recent", "failure", "recent", now.AddMinutes(-5), lastTry: now.AddMinutes(-1));
        // Never tried (its enqueue was lost) but older than a day: given up.
        var tooOld = await StageAsync(runId, "pipeliner/old", "failure", "old", now.AddDays(-2), lastTry: null);
        var sent = forge.Requests.Count;

        var due = await ResendAsync();

        Assert.Contains(retriesEnded, due);
        Assert.DoesNotContain(stillRetrying, due);
        Assert.DoesNotContain(tooOld, due);
        var accepted = await forge.WaitForAcceptedAsync("pipeliner", "failure");
        Assert.Equal("Run #1 failed", accepted[^1].Body.GetProperty("description").GetString());
        Assert.Equal(sent + 1, forge.Requests.Count);
        var statuses = await Poll.UntilAsync(() => client.StatusesAsync(runId),
            s => s.Contexts.Single(c => c.Context == "pipeliner").DeliveredState == "failure", "the state sent again to be settled");
        Assert.Equal("delivered", statuses.Attempts.Last(a => a.Context == "pipeliner").Outcome);

        // Settled now: the next sweep leaves it alone.
        Assert.DoesNotContain(retriesEnded, await ResendAsync());
    }

    [Fact]
    public async Task ResendUnsettled_DeliversAStateNeverTried_WhenItWasStagedLongerAgoThanTheQuietTime()
    {
        await using var forge = await RecordingForge.StartAsync();
        var (client, _, runId) = await app.SettledRunFromWebhookAsync(ForgeCase.All["gitea"], forge);
        using var _ = client;

        var lost = await StageAsync(runId, "pipeliner/build", "canceled", "canceled by release-manager", DateTimeOffset.UtcNow.AddMinutes(-16), lastTry: null);

        Assert.Contains(lost, await ResendAsync());
        var accepted = await forge.WaitForAcceptedAsync("pipeliner/build", "error");
        Assert.Equal("canceled by release-manager", accepted[^1].Body.GetProperty("description").GetString());
    }

    private async Task<IReadOnlyList<long>> ResendAsync()
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ForgeStatusRedelivery>().ResendUnsettledAsync();
    }

    /// <summary>Stages a newer state of a context of the run, as the outbox does, with its creation and last try in the past.</summary>
    private Task<long> StageAsync(long runId, string contextName, string state, string description, DateTimeOffset createdAt, DateTimeOffset? lastTry) =>
        app.WithDbAsync(async db =>
        {
            var context = await db.ForgeStatusContexts.FirstOrDefaultAsync(c => c.RunId == runId && c.Context == contextName);
            if (context is null)
            {
                context = new ForgeStatusContextEntity { RunId = runId, Context = contextName, State = state };
                db.ForgeStatusContexts.Add(context);
            }

            context.State = state;
            context.Sequence++;
            var update = new ForgeStatusUpdateEntity
            {
                Context = context, Sequence = context.Sequence, State = state, Description = description, CreatedAt = createdAt,
            };
            db.ForgeStatusUpdates.Add(update);
            if (lastTry is { } at)
                update.Attempts.Add(new ForgeStatusAttemptEntity { At = at, Outcome = ForgeStatusOutcomes.Failed, HttpStatus = 503, Message = "the forge is down" });
            await db.SaveChangesAsync();
            return update.Id;
        });
}
