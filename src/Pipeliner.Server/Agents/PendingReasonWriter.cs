using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Core.Runs;
using Pipeliner.Server.Data;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Agents;

/// <summary>
/// Words why ready jobs wait (<see cref="PendingReasons"/>) from the agents online now and their free slots: for the jobs
/// a run change made ready (<see cref="ReasonsAsync"/>, saved with the change), and every few seconds for every ready job
/// as agents come and go and slots fill (<see cref="RewordAsync"/>). A bookkeeping field, not a status change.
/// </summary>
public sealed class PendingReasonWriter(PipelinerDbContext db, IOptions<PipelinerOptions> options, TimeProvider time)
{
    public async Task RewordAsync(CancellationToken cancellationToken)
    {
        var waiting = await db.Jobs.AsNoTracking().Where(j => j.Ready).Select(j => j.RunsOn).Distinct().ToListAsync(cancellationToken);
        if (waiting.Count == 0) return;
        var reasons = await ReasonsAsync(cancellationToken);
        var pending = JobStatus.Pending.ToName();
        foreach (var runsOn in waiting)
        {
            var reason = reasons(runsOn);
            await db.Jobs.Where(j => j.Ready && j.RunsOn == runsOn && j.Status == pending && j.Reason != reason)
                .ExecuteUpdateAsync(set => set.SetProperty(j => j.Reason, reason), cancellationToken);
        }
    }

    /// <summary>
    /// Why a ready job with these labels (<c>runs-on</c>, comma-separated) waits, from the agents online now and their busy
    /// slots: one query, whatever the number of ready jobs (each labels' reason is worded once).
    /// </summary>
    public async Task<Func<string, string>> ReasonsAsync(CancellationToken cancellationToken)
    {
        var seenSince = time.GetUtcNow() - options.Value.Agent.OfflineAfter;
        List<AgentSlots> online = [];
        await foreach (var a in OnlineAgents.For(db)(db, seenSince, JobStatus.Running.ToName()).WithCancellation(cancellationToken))
            online.Add(new AgentSlots(a.Name, AgentLabels.Parse(a.Labels), a.Capacity, a.Busy));
        var reasons = new Dictionary<string, string>(StringComparer.Ordinal);
        return runsOn =>
        {
            if (!reasons.TryGetValue(runsOn, out var reason)) reasons[runsOn] = reason = PendingReasons.For(runsOn, online);
            return reason;
        };
    }

    // Every change that makes jobs ready asks (a run's first advance): compiled once, not funcletized and looked up per call.
    private static readonly CompiledPerModel<Func<PipelinerDbContext, DateTimeOffset, string, IAsyncEnumerable<OnlineAgent>>> OnlineAgents = new(() =>
        EF.CompileAsyncQuery((PipelinerDbContext db, DateTimeOffset seenSince, string running) => db.Agents.AsNoTracking()
            .Where(a => !a.Disabled && a.LastSeenAt != null && a.LastSeenAt >= seenSince)
            .Select(a => new OnlineAgent(a.Name, a.Labels, a.Capacity, db.Attempts.Count(x => x.Agent == a.Name && x.Status == running)))));

    private sealed record OnlineAgent(string Name, string Labels, int Capacity, int Busy);
}
