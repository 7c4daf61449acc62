using Hangfire;
using Hangfire.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Server.ForgeStatuses;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.ForgeStatuses;

/// <summary>
/// The resend of unsettled commit statuses is on Hangfire's schedule only while something is unsettled: a real forge that
/// fails puts it there, the pass takes it off once everything is settled. A fixture of its own: no other test leaves a state
/// unsettled in it.
/// </summary>
public class ForgeStatusResendScheduleTests(ForgeStatusApp app) : IClassFixture<ForgeStatusApp>
{
    [Fact]
    public async Task ResendUnsettled_StaysScheduledUntilEverythingIsSettled_WhenADeliveryFailed()
    {
        Schedule.Disarm();
        await using var forge = await RecordingForge.StartAsync();
        var down = true;
        forge.Answer = _ => Volatile.Read(ref down) ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status201Created;
        var (client, _, runId, _) = await app.RunFromWebhookAsync(ForgeCase.All["gitea"], forge, Pipelines.OneJob);
        using var _ = client;
        await Poll.UntilAsync(() => client.StatusesAsync(runId), s => s.Attempts.Any(a => a.HttpStatus == 503), "a failed delivery");

        // Armed right after the failed try is recorded.
        await Poll.UntilAsync(() => Task.FromResult(Scheduled()), scheduled => scheduled, "the resend on the schedule");
        // Hangfire is still retrying: the pass sends nothing, and stays on the schedule.
        Assert.Empty(await ResendAsync());
        Assert.True(Scheduled());

        Volatile.Write(ref down, false);
        await client.WaitForFinishAsync(runId);
        await client.SettledStatusesAsync(runId);

        Assert.Empty(await ResendAsync());
        Assert.False(Scheduled());
    }

    [Fact]
    public async Task ArmIfUnsettled_LeavesTheResendOffTheSchedule_WhenEveryStatusIsSettled()
    {
        await using var forge = await RecordingForge.StartAsync();
        var (client, _, _) = await app.SettledRunFromWebhookAsync(ForgeCase.All["github"], forge);
        using var _ = client;
        Schedule.Arm();

        Assert.Empty(await ResendAsync());
        Assert.False(Scheduled());

        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<ForgeStatusRedelivery>().ArmIfUnsettledAsync();
        Assert.False(Scheduled());
    }

    private ForgeStatusResendSchedule Schedule => app.Services.GetRequiredService<ForgeStatusResendSchedule>();

    private bool Scheduled()
    {
        using var connection = app.Services.GetRequiredService<JobStorage>().GetConnection();
        return connection.GetRecurringJobs().Any(j => j.Id == ForgeStatusRedelivery.RecurringJobId);
    }

    private async Task<IReadOnlyList<long>> ResendAsync()
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ForgeStatusRedelivery>().ResendUnsettledAsync();
    }
}
