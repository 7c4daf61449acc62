using Hangfire;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Core.Runs;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Reports;

namespace Pipeliner.Server.ForgeStatuses;

/// <summary>
/// Stages a commit status update for every context of a run whose state changed, in the same save as the change
/// itself, and hands them to Hangfire afterwards: the run never waits for a forge.
/// </summary>
public sealed class ForgeStatusOutbox(PipelinerDbContext db, IBackgroundJobClient jobs, ForgeStatusResendSchedule resend, ILogger<ForgeStatusOutbox> logger)
{
    public const string RunContext = "pipeliner";
    private const int MaxDescription = 140;

    public static string JobContext(string jobId) => $"{RunContext}/{jobId}";

    public static bool Reports(ProjectEntity project) => project is { ForgeApiUrl: not null, ForgeTokenProtected: not null };

    /// <summary>Adds the updates to the context (unsaved); call <see cref="Enqueue"/> with them once saved.</summary>
    public async Task<IReadOnlyList<ForgeStatusUpdateEntity>> StageAsync(ProjectEntity project, RunEntity run, DateTimeOffset now)
    {
        if (!Reports(project)) return [];
        var contexts = await db.ForgeStatusContexts.Where(c => c.RunId == run.Id).ToDictionaryAsync(c => c.Context, StringComparer.Ordinal);
        var staged = new List<ForgeStatusUpdateEntity>();

        void Stage(string name, string? jobId, CommitState state, string description)
        {
            if (!contexts.TryGetValue(name, out var context))
            {
                // A job skipped before anything was said about it (a rule excluded it) gets no context at all.
                if (state == CommitState.Skipped) return;
                context = new ForgeStatusContextEntity { RunId = run.Id, Context = name, JobId = jobId, State = state.ToName() };
                db.ForgeStatusContexts.Add(context);
                contexts[name] = context;
            }
            else if (context.State == state.ToName())
            {
                return;
            }

            context.State = state.ToName();
            context.Sequence++;
            var update = new ForgeStatusUpdateEntity
            {
                Context = context,
                Sequence = context.Sequence,
                State = state.ToName(),
                Description = description.Length <= MaxDescription ? description : description[..(MaxDescription - 1)] + "…",
                CreatedAt = now,
            };
            db.ForgeStatusUpdates.Add(update);
            staged.Add(update);
        }

        var runStatus = StatusNames.ParseRunStatus(run.Status);
        var tests = await RunReportReader.CountsPerJobAsync(db, run.Id, CancellationToken.None);
        var runTests = tests.Count == 0 ? null : RunReportReader.Describe(tests.Values.Sum(t => t.Total), tests.Values.Sum(t => t.Failing));
        Stage(RunContext, null, CommitStates.Of(runStatus), WithTests(RunDescription(run, runStatus), runStatus.IsFinished() ? runTests : null, ": "));
        foreach (var job in run.Jobs.OrderBy(j => j.Position))
        {
            var status = StatusNames.ParseJobStatus(job.Status);
            // In a finished run, a job not finished is one that waits for a person, and nothing waits for it.
            if (run.ManualJobsAvailable && !status.IsFinished())
                Stage(JobContext(job.JobId), job.JobId, CommitState.Manual, $"manual: {job.Reason ?? "waiting for someone to start it"}");
            else
                Stage(JobContext(job.JobId), job.JobId, CommitStates.Of(status),
                    WithTests(JobDescription(job), status.IsFinished() && tests.TryGetValue(job.JobId, out var t) ? RunReportReader.Describe(t.Total, t.Failing) : null, "; "));
        }
        return staged;
    }

    /// <summary>One delivery job per saved update.</summary>
    public void Enqueue(IReadOnlyList<ForgeStatusUpdateEntity> saved)
    {
        foreach (var update in saved)
        {
            try
            {
                jobs.Enqueue<ForgeStatusDelivery>(delivery => delivery.DeliverAsync(update.Id));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The run's change is saved already; a lost status must not undo or stop it. The resend sends it later.
                logger.LogWarning(e, "Could not enqueue commit status update {Update}", update.Id);
                ArmResend();
            }
        }
    }

    private void ArmResend()
    {
        try
        {
            resend.Arm();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Hangfire's storage is failing too: the check at the next start arms it.
            logger.LogWarning(e, "Could not schedule the resend of unsettled commit statuses");
        }
    }

    private static string RunDescription(RunEntity run, RunStatus status) => status switch
    {
        RunStatus.Queued => $"Run #{run.Number} is queued",
        RunStatus.Running => $"Run #{run.Number} is running",
        RunStatus.Waiting => $"Run #{run.Number} waits for approval",
        RunStatus.Succeeded => $"Run #{run.Number} succeeded{ManualJobsNote(run)}",
        RunStatus.Failed => $"Run #{run.Number} failed{ManualJobsNote(run)}",
        RunStatus.Canceled => $"Run #{run.Number} was canceled",
        _ => $"Run #{run.Number}: the pipeline file is invalid",
    };

    /// <summary>"Run #12 failed: 3 of 412 tests failed" — the tests' counts where the run or job has a test report.</summary>
    private static string WithTests(string description, string? tests, string separator) =>
        tests is null ? description : description + separator + tests;

    private static string ManualJobsNote(RunEntity run) => run.ManualJobsAvailable ? "; manual jobs available" : "";

    private static string JobDescription(JobEntity job)
    {
        var word = job.Status.Replace('_', ' ');
        return string.IsNullOrEmpty(job.Reason) ? word : $"{word}: {job.Reason}";
    }
}
