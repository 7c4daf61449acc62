using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Runs;

/// <summary>Read side of runs: the run page's data, from entities and the stored plan.</summary>
public sealed class RunReader(PipelinerDbContext db, Data.Providers.IDatabaseProvider database)
{
    public async Task<RunResponse?> GetAsync(long id, CancellationToken cancellationToken) =>
        await ReadAsync(db.Runs.Where(r => r.Id == id), cancellationToken);

    /// <summary>The run numbered <paramref name="number"/> in its project (the number people see, not the id).</summary>
    public async Task<RunResponse?> GetByNumberAsync(string project, int number, CancellationToken cancellationToken) =>
        await ReadAsync(db.Runs.Where(r => r.Project!.Name == project && r.Number == number), cancellationToken);

    private async Task<RunResponse?> ReadAsync(IQueryable<RunEntity> runs, CancellationToken cancellationToken)
    {
        // The split query's statements (run, jobs, attempts, approvals) read one snapshot: without it a change committed
        // between them showed a run still running whose last job had ended, or a running job without its attempt.
        await using var snapshot = await database.ReadSnapshotAsync(db, cancellationToken);
        var run = await runs.AsNoTracking()
            .Include(r => r.Project)
            .Include(r => r.Jobs).ThenInclude(j => j.Attempts)
            .Include(r => r.Jobs).ThenInclude(j => j.Approvals)
            .AsSplitQuery()
            .FirstOrDefaultAsync(cancellationToken);
        return run is null ? null : ToResponse(run);
    }

    public static RunResponse ToResponse(RunEntity run)
    {
        var plan = run.PlanJson is null ? null : PlanJson.DeserializeStored(run.PlanJson, run.Id);
        var planned = plan?.Jobs.ToDictionary(j => j.Id, StringComparer.Ordinal);
        var jobs = run.Jobs.OrderBy(j => j.Position).Select(job =>
        {
            var spec = planned?.GetValueOrDefault(job.JobId);
            var attempts = job.Attempts.OrderBy(a => a.Number).ToList();
            var started = attempts.FirstOrDefault()?.StartedAt;
            return new JobResponse(job.JobId, job.Stage, job.Status, job.Reason, spec?.Needs ?? [],
                // Waits for a person to start it: when: manual, or held by its environment's rules.
                spec?.Decision == Core.Planning.JobDecision.Manual || job.HoldReason is not null, spec?.Spec.AllowFailure ?? false, spec?.Spec.Environment,
                spec?.Spec.RunsOn ?? [], job.ApprovedBy, started, job.FinishedAt,
                RunResponseMapping.Seconds(started, job.FinishedAt), attempts.Select(a => a.ToResponse(run.Id, job.JobId)).ToList(),
                job.RequestedBy is null ? null : new JobApprovalResponse(job.RequestedBy, job.RequiredApprovals,
                    job.Approvals.Where(a => a.Round == job.ApprovalRound).OrderBy(a => a.Id).Select(a => a.Approver).ToList()));
        }).ToList();
        var errors = run.ErrorsJson is null ? null : JsonSerializer.Deserialize<List<RunErrorResponse>>(run.ErrorsJson, JsonSerializerOptions.Web);
        return new RunResponse(run.Id, run.Project?.Name ?? "", run.Number, run.Status, run.Event, run.Branch, run.Tag, run.CommitSha,
            run.CommitMessage, run.Author, run.PullRequestNumber, run.SourceBranch, run.Trigger, run.CreatedAt, run.StartedAt,
            run.FinishedAt, RunResponseMapping.Seconds(run.StartedAt, run.FinishedAt), run.ManualJobsAvailable, plan?.Stages ?? [], jobs, errors,
            run.PinnedAt is not null, run.PinnedBy, run.PinnedAt, Retention.ExpiredParts.Of(run));
    }
}
