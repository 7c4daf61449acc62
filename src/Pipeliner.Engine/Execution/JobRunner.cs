using Pipeliner.Core.Model;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Backends;
using Pipeliner.Engine.Logging;
using Pipeliner.Engine.Reports;
using Pipeliner.Engine.Storage;
using Pipeliner.Engine.Workspaces;

namespace Pipeliner.Engine.Execution;

/// <summary>
/// Runs one attempt of one job on a backend: workspace, services, script, logs, artifacts and cache.
/// A failing job is a value (<see cref="AttemptOutcome"/>); only infrastructure faults throw. Cleanup runs
/// exactly once, in a finally, on a token the job's cancellation does not cancel.
/// </summary>
/// <param name="remoteWorkspaces">Where a backend that fetches its own workspace gets it from (the agent protocol).</param>
/// <param name="commitTrees">Where a remote agent gets the commit's tree (the server); null: the repository's mirror.</param>
/// <param name="writeLogFiles">
/// Whether the attempts' logs are written to files in <paramref name="layout"/>; false: the lines only go to the
/// <c>onLine</c> of <see cref="RunAsync"/>, which stores them elsewhere (the server's embedded agent hands them to its log
/// store, as remote agents send theirs), and the report's <see cref="JobAttemptReport.LogPath"/> is empty.
/// </param>
public sealed class JobRunner(
    IExecutionBackend backend, DataLayout layout, WorkspacePreparer workspaces, TimeProvider time,
    IRemoteWorkspaceSource? remoteWorkspaces = null, ICommitTreeSource? commitTrees = null, ReportLimits? reportLimits = null,
    bool writeLogFiles = true)
{
    private readonly ReportLimits _reportLimits = reportLimits ?? ReportLimits.Default;

    private static readonly TimeSpan CleanupTimeout = TimeSpan.FromSeconds(60);

    public IExecutionBackend Backend => backend;

    /// <param name="assignment">The attempt to run.</param>
    /// <param name="onLine">Hears every log line as it is stored.</param>
    /// <param name="cancellationToken">Stops the attempt (it is then canceled, and cleaned up all the same).</param>
    /// <param name="onOutcome">
    /// Hears the report as soon as it is known: for a script that ran to its end, before its containers and workspace
    /// are removed (the returned task ends after that), so that a scheduler can start the next job meanwhile.
    /// </param>
    public async Task<JobAttemptReport> RunAsync(
        JobAssignment assignment, Action<LogLine>? onLine, CancellationToken cancellationToken, Action<JobAttemptReport>? onOutcome = null)
    {
        var job = assignment.Job;
        var logPath = writeLogFiles ? layout.JobLog(assignment.RunId, job.Id, assignment.Attempt) : "";
        var masker = new SecretMasker(assignment.MaskedValues.Concat(assignment.Secrets.Values));
        await using var log = new JobLogWriter(writeLogFiles ? logPath : null, masker, time, onLine, job.Spec.Resources.Log?.Bytes);
        log.WriteLine($"pipeliner: job '{job.Id}', attempt {assignment.Attempt}, on the {backend.Name} backend, image {job.Spec.Image}");

        var missing = job.Spec.Secrets.Where(s => !assignment.Secrets.ContainsKey(s)).ToList();
        if (missing.Count > 0)
        {
            var plural = missing.Count > 1 ? "s" : "";
            var message = assignment.SecretsWithheldReason is { } withheld
                ? $"{withheld} (the job lists secret{plural} {string.Join(", ", missing)})"
                : $"secret{plural} not provided: {string.Join(", ", missing)}";
            log.WriteLine($"pipeliner: job failed before it started: {message} (a configuration fault: not retried)");
            var failed = new JobAttemptReport(AttemptOutcome.Misconfigured(message), logPath, []);
            onOutcome?.Invoke(failed);
            return failed;
        }

        var workflow = BuildWorkflow(assignment);
        var artifacts = new List<ArchivedPath>();
        var reports = new List<ArchivedPath>();
        JobAttemptReport? report = null;
        var outcome = await RunWorkflowAsync(assignment, workflow, masker, log, artifacts, reports, known => Report(known), cancellationToken);
        return Report(outcome);

        JobAttemptReport Report(AttemptOutcome known)
        {
            if (report is not null) return report;
            log.WriteLine(known.Status == JobStatus.Succeeded
                ? "pipeliner: job succeeded"
                : $"pipeliner: job {known.Status.ToName().Replace('_', ' ')}: {known.Message}" +
                  (known.Cause == FailureCause.Configuration ? " (a configuration fault: not retried)" : ""));
            report = new JobAttemptReport(known, logPath, artifacts) { Reports = reports };
            onOutcome?.Invoke(report);
            return report;
        }
    }

    private async Task<AttemptOutcome> RunWorkflowAsync(
        JobAssignment assignment, WorkflowSpec workflow, SecretMasker masker, JobLogWriter log,
        List<ArchivedPath> artifacts, List<ArchivedPath> reports, Action<AttemptOutcome> finished, CancellationToken cancellationToken)
    {
        var job = assignment.Job;
        var script = workflow.Steps[^1];
        var tails = new List<Task>();
        var serviceLogs = new List<JobLogWriter>();
        // The workspace is measured where it is on this machine (a backend that fetches its own has it elsewhere).
        await using var workspaceWatch = backend.FetchesWorkspace
            ? null
            : WorkspaceWatch.Start(workflow.WorkspacePath, job.Spec.Resources.Workspace, log.WriteLine);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, workspaceWatch?.Token ?? CancellationToken.None);
        timeout.CancelAfter(job.Spec.Timeout);
        try
        {
            if (backend.FetchesWorkspace) workflow = workflow with { Fetch = await ResolveRemoteWorkspaceAsync(assignment, timeout.Token) };
            else await PrepareHostWorkspaceAsync(assignment, workflow, log, timeout.Token);

            await backend.SetupWorkflowAsync(workflow, timeout.Token);
            foreach (var service in workflow.Steps.Where(s => s.Kind == StepKind.Service))
            {
                await backend.StartStepAsync(workflow, service, timeout.Token);
                var serviceLog = new JobLogWriter(layout.ServiceLog(assignment.RunId, job.Id, assignment.Attempt, service.Name), masker, time);
                serviceLogs.Add(serviceLog);
                tails.Add(TailAsync(workflow, service, serviceLog, timeout.Token));
                log.WriteLine($"pipeliner: service '{service.Name}' started ({service.Image}), reachable on 127.0.0.1");
            }

            await backend.StartStepAsync(workflow, script, timeout.Token);
            var scriptTail = TailAsync(workflow, script, log, CancellationToken.None);
            tails.Add(scriptTail);
            var exit = await backend.WaitStepAsync(workflow, script, timeout.Token);
            await scriptTail.WaitAsync(timeout.Token);
            var outcome = Outcome(exit, job.Spec.Resources);
            // Reports are wanted most when the tests failed: collected whatever the script's exit.
            if (job.Spec.Reports is { } wanted) reports.AddRange(await CollectReportsAsync(assignment, workflow, script, wanted, log, timeout.Token));
            if (outcome.Status == JobStatus.Succeeded)
                outcome = await CollectAsync(assignment, workflow, script, log, artifacts, timeout.Token) ?? outcome;
            // The script ended and its output is stored: only removing what it ran in is left.
            finished(outcome);
            return outcome;
        }
        // An image that cannot be had or a container the engine refuses: the job's set-up is wrong, retrying cannot help.
        catch (StepStartException e)
        {
            return AttemptOutcome.Misconfigured(e.Message);
        }
        catch (Exception e) when (e is WorkspaceException or BackendUnavailableException)
        {
            return AttemptOutcome.Failed(null, e.Message);
        }
        // The workspace outgrew its limit (the watch said so in the log): the job's own doing, like running out of memory.
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException or StepDeadlineExceededException
                                  && workspaceWatch?.Reason is { } reason && !cancellationToken.IsCancellationRequested)
        {
            return AttemptOutcome.Failed(null, reason);
        }
        catch (StepDeadlineExceededException)
        {
            return AttemptOutcome.TimedOut(job.Spec.Timeout);
        }
        // The backend enforces a ceiling itself (Kubernetes evicts a Pod whose workspace outgrew its sizeLimit).
        catch (StepLimitExceededException e) when (!cancellationToken.IsCancellationRequested)
        {
            log.WriteLine($"pipeliner: {e.Message}: {e.Detail}");
            return AttemptOutcome.Failed(null, e.Message);
        }
        // Once stopping was asked for, whatever the backend throws while being interrupted (an I/O error from a cut
        // stream as well as a cancellation) means the job timed out or was canceled, not an infrastructure fault.
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException
                                  && timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return AttemptOutcome.TimedOut(job.Spec.Timeout);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException && cancellationToken.IsCancellationRequested)
        {
            return AttemptOutcome.Canceled();
        }
        finally
        {
            using var cleanup = new CancellationTokenSource(CleanupTimeout);
            await CleanUpAsync(workflow, tails, serviceLogs, cleanup.Token);
        }
    }

    private async Task PrepareHostWorkspaceAsync(JobAssignment assignment, WorkflowSpec workflow, JobLogWriter log, CancellationToken cancellationToken)
    {
        var restore = assignment.ArtifactSources.Select(id => new ArchiveFolder(layout.Artifacts(assignment.RunId, id))).ToList();
        if (assignment.Job.Spec.Cache is { } cache && RestorableCache(assignment, cache.Key, log) is { } cached) restore.Add(cached);
        if (commitTrees is not null)
        {
            await commitTrees.CheckOutAsync(assignment, workflow.WorkspacePath, cancellationToken);
            foreach (var archives in restore) await archives.RestoreAsync(workflow.WorkspacePath, cancellationToken);
            return;
        }

        var mirror = await workspaces.EnsureCommitAsync(assignment.Project, assignment.Repository, assignment.CommitSha, cancellationToken);
        await workspaces.PrepareAsync(mirror, assignment.RunId, assignment.CommitSha, workflow.WorkspacePath, restore, cancellationToken);
    }

    private async Task<WorkspaceFetch> ResolveRemoteWorkspaceAsync(JobAssignment assignment, CancellationToken cancellationToken) =>
        remoteWorkspaces is null
            ? throw new WorkspaceException($"the {backend.Name} backend fetches the workspace from a Pipeliner server; it runs jobs under 'pipeliner agent' only")
            : await remoteWorkspaces.ResolveAsync(assignment, cancellationToken);

    private static AttemptOutcome Outcome(StepExit exit, ResourceLimits resources)
    {
        if (exit.OutOfMemory)
        {
            var limit = resources.Memory is { } memory ? $", limit {memory}" : "";
            return AttemptOutcome.Failed(exit.ExitCode, $"killed: out of memory{limit}", exit.PeakMemoryBytes) with { CpuTimeMs = exit.CpuTimeMs };
        }

        return (exit.ExitCode == 0
            ? AttemptOutcome.Succeeded(exit.PeakMemoryBytes)
            : AttemptOutcome.Failed(exit.ExitCode, $"exit code {exit.ExitCode}", exit.PeakMemoryBytes)) with { CpuTimeMs = exit.CpuTimeMs };
    }

    /// <summary>Saves the job's artifacts and cache; the outcome to report instead when its artifacts are over their limit.</summary>
    private async Task<AttemptOutcome?> CollectAsync(
        JobAssignment assignment, WorkflowSpec workflow, StepSpec script, JobLogWriter log,
        List<ArchivedPath> artifacts, CancellationToken cancellationToken)
    {
        var spec = assignment.Job.Spec;
        if (spec.Artifacts is { } wanted)
        {
            try
            {
                var saved = await ArchivePathsAsync(workflow, script, wanted.Paths, layout.Artifacts(assignment.RunId, assignment.Job.Id), log, "artifact",
                    cancellationToken, spec.Resources.Artifacts?.Bytes);
                artifacts.AddRange(saved);
            }
            catch (ArchiveTooLargeException e)
            {
                var limit = new ByteSize(e.MaxBytes);
                log.WriteLine($"pipeliner: artifacts refused: together they hold more than their limit of {limit} (resources.artifacts); none of them was stored");
                return AttemptOutcome.Failed(null, $"artifacts over their limit of {limit} (resources.artifacts)");
            }
        }

        if (spec.Cache is { } cache)
        {
            // A cache is archived from the workspace: it is bounded by the workspace's limit (the server checks the same
            // on remote agents' uploads). Only a speed-up: over it, it is not saved and the job keeps its status.
            try
            {
                await ArchivePathsAsync(workflow, script, cache.Paths, layout.Cache(assignment.Project, assignment.CacheScopes.Save, cache.Key), log,
                    $"cache path (scope {assignment.CacheScopes.Save})", cancellationToken, spec.Resources.Workspace?.Bytes);
            }
            catch (ArchiveTooLargeException e)
            {
                log.WriteLine($"pipeliner: warning: cache not saved: its archives together hold more than the job's workspace limit of {new ByteSize(e.MaxBytes)} (resources.workspace)");
            }
        }

        return null;
    }

    /// <summary>The job's report files, archived for the server, each said in the log; a report never fails the job.</summary>
    private async Task<IReadOnlyList<ArchivedPath>> CollectReportsAsync(
        JobAssignment assignment, WorkflowSpec workflow, StepSpec script, ReportsDefinition wanted, JobLogWriter log, CancellationToken cancellationToken)
    {
        var directory = layout.Reports(assignment.RunId, assignment.Job.Id, assignment.Attempt);
        try
        {
            var saved = await ReportCollector.CollectAsync(backend, workflow, script, wanted, directory, _reportLimits, log.WriteLine, cancellationToken);
            if (saved.Count == 0) return saved;
            foreach (var file in await ReportArchive.ReadAsync(directory, _reportLimits, cancellationToken)) log.WriteLine(ReportArchive.Describe(file));
            return saved;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            log.WriteLine($"pipeliner: warning: reports not collected: {e.Message.Split('\n')[0]}");
            return [];
        }
    }

    /// <summary>The cache of the first scope, in the assignment's order, that holds <paramref name="key"/>.</summary>
    private ArchiveFolder? RestorableCache(JobAssignment assignment, string key, JobLogWriter log)
    {
        foreach (var scope in assignment.CacheScopes.Restore)
        {
            var folder = new ArchiveFolder(layout.Cache(assignment.Project, scope, key));
            if (!folder.Exists) continue;
            log.WriteLine($"pipeliner: cache '{key}' restored from scope {scope}");
            return folder;
        }

        log.WriteLine($"pipeliner: no cache '{key}' yet in scopes {string.Join(", ", assignment.CacheScopes.Restore)}");
        return null;
    }

    private async Task<IReadOnlyList<ArchivedPath>> ArchivePathsAsync(
        WorkflowSpec workflow, StepSpec script, IReadOnlyList<string> paths, string directory, JobLogWriter log,
        string what, CancellationToken cancellationToken, long? maxBytes = null)
    {
        // One archive at a time: the engine serves a container's archives one after the other.
        var sources = paths.Select(path => (path, (Func<CancellationToken, Task<Stream?>>)(async token =>
        {
            var tar = await backend.CopyFromStepAsync(workflow, script, path, token);
            if (tar is null) log.WriteLine($"pipeliner: warning: {what} '{path}' does not exist; nothing saved for it");
            return tar;
        }))).ToList();
        var saved = await ArchiveFolder.WriteAsync(directory, sources, cancellationToken, maxBytes);
        foreach (var entry in saved) log.WriteLine($"pipeliner: saved {what} '{entry.Path}' ({entry.Size} bytes, sha256 {entry.Sha256[..12]})");
        return saved;
    }

    private async Task TailAsync(WorkflowSpec workflow, StepSpec step, JobLogWriter log, CancellationToken cancellationToken)
    {
        await using var output = await backend.TailStepAsync(workflow, step, cancellationToken);
        await log.CopyFromAsync(output, cancellationToken);
    }

    private async Task CleanUpAsync(WorkflowSpec workflow, List<Task> tails, List<JobLogWriter> serviceLogs, CancellationToken cancellationToken)
    {
        foreach (var step in workflow.Steps.Reverse()) await backend.DestroyStepAsync(workflow, step, cancellationToken);
        await backend.DestroyWorkflowAsync(workflow, cancellationToken);
        // Destroyed steps end their output streams; what was read is in the logs.
        try
        {
            await Task.WhenAll(tails).WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or TimeoutException)
        {
            // A tail cut short by the step's removal: the log holds everything read before.
        }

        foreach (var serviceLog in serviceLogs) await serviceLog.DisposeAsync();
        if (Directory.Exists(workflow.WorkspacePath)) Directory.Delete(workflow.WorkspacePath, recursive: true);
        RemoveIfEmpty(Path.GetDirectoryName(workflow.WorkspacePath)!);
    }

    /// <summary>The run's workspace folder goes with its last attempt (another job of the run may still be using it).</summary>
    private static void RemoveIfEmpty(string runWorkspaces)
    {
        try
        {
            if (Directory.Exists(runWorkspaces) && !Directory.EnumerateFileSystemEntries(runWorkspaces).Any())
                Directory.Delete(runWorkspaces, recursive: false);
        }
        catch (IOException)
        {
            // Another attempt of the run made its workspace meanwhile: the folder is in use again.
        }
    }

    private WorkflowSpec BuildWorkflow(JobAssignment assignment)
    {
        var spec = assignment.Job.Spec;
        var environment = new Dictionary<string, string>(spec.Variables, StringComparer.Ordinal);
        foreach (var name in spec.Secrets)
        {
            if (assignment.Secrets.TryGetValue(name, out var value)) environment[name] = value;
        }

        var steps = spec.Services
            .Select(s => new StepSpec
            {
                Name = s.Name, Kind = StepKind.Service, Image = s.Image, Command = s.Command, Environment = s.Env,
                // A service runs what the pipeline says too: its processes are bounded like the script's.
                Resources = new ResourceLimits(null, null, spec.Resources.Pids),
            })
            .Append(new StepSpec
            {
                Name = "script",
                Kind = StepKind.Script,
                Image = spec.Image,
                Command = ["/bin/sh", "-c", ScriptBuilder.Build(spec.Script)],
                Environment = environment,
                SecretVariables = spec.Secrets.Where(assignment.Secrets.ContainsKey).ToHashSet(StringComparer.Ordinal),
                Resources = spec.Resources,
            })
            .ToList();
        // Run numbers start at 1 in every data directory: run, job and attempt alone could name another run's
        // workflow on the same engine, whose containers clean-up by label would then remove.
        var id = $"{PathSlug.For(assignment.RunId)}-{PathSlug.For(assignment.Job.Id)}-{assignment.Attempt}-{Guid.NewGuid().ToString("N")[..8]}";
        return new WorkflowSpec(id, assignment.RunId, assignment.Job.Id,
            layout.Workspace(assignment.RunId, assignment.Job.Id, assignment.Attempt), steps)
        {
            Project = assignment.Project,
            Attempt = assignment.Attempt,
            RunsOn = spec.RunsOn,
            Timeout = spec.Timeout,
        };
    }
}
