using Pipeliner.Core.Runs;

namespace Pipeliner.Engine.Execution;

/// <summary>
/// Carries out a run on this machine: whenever a job's needs are done, its gate decides whether it runs or is
/// skipped; ready jobs start while fewer than <see cref="RunOptions.Parallel"/> run; failed attempts are retried;
/// manual jobs run only when approved. Cancelling stops the running attempts and cancels the rest.
/// </summary>
public sealed class RunExecutor(JobRunner runner, IRunObserver observer, TimeProvider time)
{
    public async Task ExecuteAsync(Run run, string project, string repository, string commitSha, RunOptions options, CancellationToken cancellationToken)
    {
        var upstream = TransitiveNeeds(run);
        // Keyed by the attempt's outcome, known before its containers are removed; the attempts themselves end after.
        var running = new Dictionary<Task<JobAttemptReport>, (RunJob Job, JobAttempt Attempt)>();
        var attempts = new List<Task>();
        // Ready jobs not started yet for want of a slot, oldest first: the advancer returns a job once, when it becomes ready.
        var waiting = new List<RunJob>();
        try
        {
            while (true)
            {
                if (!cancellationToken.IsCancellationRequested)
                {
                    ApproveFromOptions(run, options);
                    var ready = RunAdvancer.Advance(run, time.GetUtcNow(), observer.JobSkipped);
                    SayHowToApprove(run);
                    waiting.AddRange(ready.Where(j => !waiting.Contains(j)));
                    waiting.RemoveAll(j => j.Status is not (JobStatus.Queued or JobStatus.Pending));
                    foreach (var job in waiting.ToList())
                    {
                        if (running.Count >= options.Parallel)
                        {
                            job.MarkPending($"waiting for a free slot ({options.Parallel} jobs run at once)");
                            continue;
                        }

                        waiting.Remove(job);

                        var attempt = job.Start(time.GetUtcNow(), runner.Backend.Name);
                        observer.JobStarted(job, attempt);
                        var assignment = Assignment(run, job, attempt.Number, options, project, repository, commitSha, upstream);
                        running.Add(RunAttemptAsync(job, attempt, assignment, attempts, cancellationToken), (job, attempt));
                    }
                }

                run.Refresh(time.GetUtcNow());
                await observer.RunChangedAsync(run, CancellationToken.None);
                if (running.Count == 0) break;

                var finished = await Task.WhenAny(running.Keys);
                var (finishedJob, finishedAttempt) = running[finished];
                running.Remove(finished);
                finishedJob.Finish((await finished).Outcome, time.GetUtcNow());
                observer.AttemptFinished(finishedJob, finishedAttempt);
            }
        }
        finally
        {
            // Every started attempt cleans up before the run ends, also when an infrastructure fault escaped.
            await Task.WhenAll(attempts.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        }

        // A fault while removing a finished job's containers is an infrastructure fault of the run.
        await Task.WhenAll(attempts);

        if (cancellationToken.IsCancellationRequested)
        {
            run.Cancel("canceled", time.GetUtcNow());
            await observer.RunChangedAsync(run, CancellationToken.None);
        }
    }

    /// <summary>Manual jobs named with --approve may run; the others keep waiting, saying how to let them.</summary>
    private static void ApproveFromOptions(Run run, RunOptions options)
    {
        foreach (var job in run.Jobs.Where(j => j.IsManual && j.ApprovedBy is null && !j.Status.IsFinished() && j.Status != JobStatus.Running))
        {
            if (options.Approved.Contains(job.Id) || options.Approved.Contains(job.Planned.Spec.Name)) job.Approve("--approve");
        }
    }

    /// <summary>On this machine a person approves by running again with --approve: the waiting job says so.</summary>
    private static void SayHowToApprove(Run run)
    {
        foreach (var job in run.Jobs.Where(j => j.Status == JobStatus.Pending && j.Reason == RunAdvancer.ApprovalReason))
            job.MarkPending($"{RunAdvancer.ApprovalReason} (run with --approve '{job.Id}')");
    }

    private static JobAssignment Assignment(
        Run run, RunJob job, int attempt, RunOptions options,
        string project, string repository, string commitSha, Dictionary<string, List<string>> upstream) => new()
    {
        RunId = run.Id,
        Project = project,
        Repository = repository,
        CommitSha = commitSha,
        Job = job.Planned,
        Attempt = attempt,
        ArtifactSources = upstream[job.Id],
        CacheScopes = CacheScopes.Local,
        Secrets = job.Planned.Spec.Secrets
            .Where(options.Secrets.ContainsKey)
            .ToDictionary(name => name, name => options.Secrets[name], StringComparer.Ordinal),
        MaskedValues = options.Secrets.Values.ToList(),
    };

    /// <summary>The attempt's report as soon as it is known; the attempt, cleanup included, is added to <paramref name="attempts"/>.</summary>
    private Task<JobAttemptReport> RunAttemptAsync(
        RunJob job, JobAttempt attempt, JobAssignment assignment, List<Task> attempts, CancellationToken cancellationToken)
    {
        var outcome = new TaskCompletionSource<JobAttemptReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = Task.Run(() => runner.RunAsync(assignment, line => observer.LogLine(job, attempt, line), cancellationToken,
            report => outcome.TrySetResult(report)), CancellationToken.None);
        attempts.Add(running);
        running.ContinueWith(t =>
        {
            if (t.Exception is { } fault) outcome.TrySetException(fault.InnerExceptions);
            else if (t.IsCanceled) outcome.TrySetCanceled();
            else outcome.TrySetResult(t.Result);
        }, TaskScheduler.Default);
        return outcome.Task;
    }

    /// <summary>For each job, every job it needs directly or indirectly, in plan order (whose artifacts it receives).</summary>
    private static Dictionary<string, List<string>> TransitiveNeeds(Run run)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var job in run.Jobs)
        {
            var all = new HashSet<string>(StringComparer.Ordinal);
            foreach (var need in job.Planned.Needs)
            {
                all.Add(need);
                all.UnionWith(result[need]);
            }

            result[job.Id] = run.Jobs.Select(j => j.Id).Where(all.Contains).ToList();
        }

        return result;
    }
}
