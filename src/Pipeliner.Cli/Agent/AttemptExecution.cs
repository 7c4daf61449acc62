using System.Net;
using System.Security.Cryptography;
using Pipeliner.Agent.Contracts;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Execution;
using Pipeliner.Engine.Logging;
using Pipeliner.Engine.Storage;
using Pipeliner.Engine.Workspaces;

namespace Pipeliner.Cli.Agent;

/// <summary>
/// One attempt on a remote agent: the artifacts of its needs and its cache fetched from the server (SHA-256 checked),
/// the job run by the same <see cref="JobRunner"/> as everywhere, its log shipped by offset while it runs, its lease
/// extended on a timer of its own (whose answer can stop it), its artifacts and cache uploaded, and its end sent until
/// the server acknowledges it. The end asks for the slot's next job when a clean-up place is free for it, and the server's
/// answer may carry one (<see cref="AttemptDone.WantsNext"/>): the slot then runs it without a <c>jobs/next</c> call.
/// </summary>
/// <param name="cleanups">Where the attempts' containers and workspaces are removed behind their slots.</param>
internal sealed class AttemptExecution(
    AgentClient client, JobRunner runner, BackgroundCleanups cleanups, DataLayout layout, ServerWorkspaces workspaces,
    RetryBackoff retry, Action<string> say)
{
    /// <param name="place">The attempt's place in the clean-ups (this owns it): handed over to its clean-up once it starts.</param>
    /// <param name="reserveNext">
    /// Asked once, before the end is sent: a clean-up place for the slot's next job if it may take one now (null: the end
    /// asks for nothing, as when the agent is stopping).
    /// </param>
    /// <param name="cancel">The agent's second signal: stop the job (it is then reported canceled).</param>
    /// <returns>The slot's next job, which the server sent with the acknowledgement of this one's end, in its place; or null.</returns>
    public async Task<FollowingJob?> RunAsync(AgentAssignment work, CleanupPlace place, Func<CleanupPlace?> reserveNext, CancellationToken cancel)
    {
        using var unlessStarted = place;
        var name = $"job '{work.Job.Id}' of run {work.RunId} (attempt {work.Attempt})";
        say($"{name}: started");
        using var hold = workspaces.Hold(work);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        using var heartbeatDone = new CancellationTokenSource();
        var heartbeat = KeepLeaseAsync(work, stop, heartbeatDone.Token);
        var assignment = ToEngine(work);
        var logPath = layout.JobLog(assignment.RunId, work.Job.Id, work.Attempt);
        if (File.Exists(logPath)) File.Delete(logPath);
        var shipper = new LogShipper(client, work.AttemptId, logPath, retry, say);
        using var finished = new CancellationTokenSource();
        var shipping = shipper.RunAsync(finished.Token, CancellationToken.None);

        try
        {
            JobAttemptReport report;
            try
            {
                await FetchAsync(work, assignment, stop.Token);

                // The report comes as soon as the job's end and log are known; its containers and workspace are removed behind.
                report = await cleanups.RunAsync(place, runner, assignment, null, stop.Token);
            }
            catch (Exception e) when (e is WorkspaceException or HttpRequestException or AgentRefusedException or IOException or InvalidDataException)
            {
                await JobLogWriter.AppendToAbandonedAsync(logPath, $"pipeliner: job failed before it started: {e.Message}", TimeProvider.System);
                report = new JobAttemptReport(AttemptOutcome.Failed(null, $"infrastructure fault on the agent: {e.Message.Split('\n')[0]}"), logPath, []);
            }
            catch (OperationCanceledException)
            {
                await JobLogWriter.AppendToAbandonedAsync(logPath, "pipeliner: job canceled", TimeProvider.System);
                report = new JobAttemptReport(AttemptOutcome.Canceled(), logPath, []);
            }

            await finished.CancelAsync();
            await shipping;
            // Still under the lease: the heartbeats go on until the server acknowledged the end, however long an outage
            // makes the uploads and the report wait.
            var (outcome, next) = await ReportAsync(work, assignment, report, shipper, logPath, reserveNext);
            say($"{name}: {outcome.Status.ToName()}");
            return next;
        }
        finally
        {
            await heartbeatDone.CancelAsync();
            await heartbeat;
        }
    }

    private static JobAssignment ToEngine(AgentAssignment work) => new()
    {
        RunId = ServerWorkspaces.RunKey(work),
        Project = work.Project,
        Repository = "(the Pipeliner server)",
        CommitSha = work.CommitSha,
        Job = work.Job,
        Attempt = work.Attempt,
        // The artifacts of every job it needs, in the server's order, in one folder of the attempt's own.
        ArtifactSources = work.Artifacts.Count == 0 ? [] : [NeedsFolder(work)],
        CacheScopes = new CacheScopes(work.CacheRestoredFrom is { } from ? [from] : work.CacheRestoreScopes, work.CacheSaveScope),
        Secrets = work.Secrets,
        MaskedValues = work.MaskedValues.ToList(),
        SecretsWithheldReason = work.SecretsWithheldReason,
    };

    private static string NeedsFolder(AgentAssignment work) => $".needs-{work.Job.Id}-{work.Attempt}";

    /// <summary>The archives this attempt restores, downloaded into the agent's data layout where the runner restores from.</summary>
    private async Task FetchAsync(AgentAssignment work, JobAssignment assignment, CancellationToken cancellationToken)
    {
        if (runner.Backend.FetchesWorkspace) return;
        if (work.Artifacts.Count > 0)
            await DownloadArchivesAsync(work, work.Artifacts, layout.Artifacts(assignment.RunId, NeedsFolder(work)), cancellationToken);
        if (work.Job.Spec.Cache is not { } cache) return;
        foreach (var scope in assignment.CacheScopes.Restore)
        {
            var local = layout.Cache(work.Project, scope, cache.Key);
            if (Directory.Exists(local)) Directory.Delete(local, recursive: true);
        }

        if (work.CacheRestoredFrom is { } from && work.Cache.Count > 0)
            await DownloadArchivesAsync(work, work.Cache, layout.Cache(work.Project, from, cache.Key), cancellationToken);
    }

    private async Task DownloadArchivesAsync(AgentAssignment work, IReadOnlyList<ArchiveReference> archives, string directory, CancellationToken cancellationToken)
    {
        var downloads = Path.Combine(layout.Root, "downloads", work.AttemptId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var files = new List<(string Path, Stream Tar)>();
        try
        {
            for (var i = 0; i < archives.Count; i++)
            {
                var file = Path.Combine(downloads, $"{i}.tar");
                await client.DownloadAsync(archives[i].Url, work.AttemptCredential, file, cancellationToken);
                files.Add((archives[i].Path, File.OpenRead(file)));
            }

            var saved = await ArchiveFolder.WriteAsync(directory, files, cancellationToken);
            for (var i = 0; i < saved.Count; i++)
            {
                if (string.Equals(saved[i].Sha256, archives[i].Sha256, StringComparison.OrdinalIgnoreCase)) continue;
                Directory.Delete(directory, recursive: true);
                throw new WorkspaceException($"'{archives[i].Path}' from the server has sha256 {saved[i].Sha256[..12]}, not the recorded {archives[i].Sha256[..12]}");
            }
        }
        finally
        {
            foreach (var (_, tar) in files) await tar.DisposeAsync();
            if (Directory.Exists(downloads)) Directory.Delete(downloads, recursive: true);
        }
    }

    /// <summary>
    /// Heartbeats on their own timer, never behind uploads; the server's "cancel" (or a 409: the attempt was given up) stops
    /// the job. A heartbeat the network or a restarting server lost is sent again soon (from a quarter second, doubling up
    /// to the usual interval), so that a short outage never costs the lease.
    /// </summary>
    private async Task KeepLeaseAsync(AgentAssignment work, CancellationTokenSource stop, CancellationToken done)
    {
        var interval = TimeSpan.FromSeconds(Math.Clamp(work.LeaseSeconds / 3.0, 0.5, 10));
        var wait = interval;
        while (!done.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(wait, done);
                var answer = await client.HeartbeatAsync(work.AttemptId, done);
                wait = interval;
                if (answer.Cancel && !stop.IsCancellationRequested)
                {
                    say($"job '{work.Job.Id}' of run {work.RunId}: the server says stop (the run was canceled)");
                    await stop.CancelAsync();
                }
            }
            catch (OperationCanceledException) when (done.IsCancellationRequested)
            {
                return;
            }
            catch (AgentRefusedException e)
            {
                say($"job '{work.Job.Id}' of run {work.RunId}: stopped: {e.Message}");
                await stop.CancelAsync();
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                // The server may be restarting, or the network down for a moment: the job goes on, and the lease is
                // extended again once it answers.
                wait = wait >= interval ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, interval.Ticks));
                say($"heartbeat of attempt {work.AttemptId}: {e.Message}; again in {wait.TotalSeconds:0.##} s");
            }
        }
    }

    /// <summary>
    /// Uploads and reports the end until the server acknowledges it; the outcome reported (a refused upload can fail it), and
    /// the next job the acknowledgement carried.
    /// </summary>
    private async Task<(AttemptOutcome Outcome, FollowingJob? Next)> ReportAsync(
        AgentAssignment work, JobAssignment assignment, JobAttemptReport report, LogShipper shipper, string logPath, Func<CleanupPlace?> reserveNext)
    {
        var outcome = report.Outcome;
        var succeeded = outcome.Status == JobStatus.Succeeded;
        var artifacts = succeeded ? Uploads(report.Artifacts) : [];
        var cacheFolder = succeeded && work.Job.Spec.Cache is { } cache ? new ArchiveFolder(layout.Cache(work.Project, work.CacheSaveScope, cache.Key)) : null;
        var caches = cacheFolder?.Exists == true ? Uploads(cacheFolder.Read()) : [];
        // Reports whatever the status: they matter most when the tests failed.
        var reports = Uploads(report.Reports);
        var reportsFolder = layout.Reports(assignment.RunId, work.Job.Id, work.Attempt);
        // Uploads can take a while: the last lines are shown first; only an end sent at once carries them.
        if (artifacts.Count + caches.Count + reports.Count > 0) await shipper.ShipRestAsync(CancellationToken.None);
        var delay = retry.First(TimeSpan.FromSeconds(1));
        var uploaded = false;
        var resync = false;
        var refusals = 0;
        // Given up unless a next job comes into it.
        using var nextPlace = reserveNext();
        while (true)
        {
            try
            {
                // Inside the try: asking the server where its copy of the log ends can meet the same outage.
                if (resync)
                {
                    await shipper.ResyncAsync(CancellationToken.None);
                    resync = false;
                }

                if (!uploaded)
                {
                    // A refusal (413: over the job's ceiling or the server's upload limit) is said in the log, which is
                    // then shipped again; the list is emptied, so a retry neither uploads nor says it again.
                    if (await UploadAsync(work, "artifacts", artifacts, layout.Artifacts(assignment.RunId, work.Job.Id)) is { } refused)
                    {
                        await JobLogWriter.AppendToAbandonedAsync(logPath, $"pipeliner: artifacts refused by the server: {refused}", TimeProvider.System);
                        outcome = AttemptOutcome.Failed(null, $"artifacts refused by the server: {refused}", outcome.PeakMemoryBytes) with { CpuTimeMs = outcome.CpuTimeMs };
                        artifacts = [];
                        caches = [];
                        cacheFolder = null;
                        await shipper.ResyncAsync(CancellationToken.None);
                    }

                    if (cacheFolder is not null && await UploadAsync(work, "cache", caches, cacheFolder.Directory) is { } cacheRefused)
                    {
                        await JobLogWriter.AppendToAbandonedAsync(logPath, $"pipeliner: warning: cache not saved, refused by the server: {cacheRefused}", TimeProvider.System);
                        caches = [];
                        await shipper.ResyncAsync(CancellationToken.None);
                    }

                    if (await UploadAsync(work, "reports", reports, reportsFolder) is { } reportsRefused)
                    {
                        await JobLogWriter.AppendToAbandonedAsync(logPath, $"pipeliner: warning: reports not kept, refused by the server: {reportsRefused}", TimeProvider.System);
                        reports = [];
                        await shipper.ResyncAsync(CancellationToken.None);
                    }

                    uploaded = true;
                }

                var (length, sha) = await DigestAsync(logPath);
                // The lines the shipper left for the end (a short job's last ones) travel with it.
                var tail = await shipper.TailAsync(length, CancellationToken.None);
                var done = new AttemptDone(outcome.Status.ToName(), outcome.ExitCode, outcome.Message,
                    outcome.Status == JobStatus.Succeeded ? null : outcome.Cause.ToName(), outcome.PeakMemoryBytes,
                    length, sha, artifacts, caches, outcome.CpuTimeMs, reports, tail?.Lines, tail?.Offset, WantsNext: nextPlace is not null);
                var answer = await client.DoneAsync(work.AttemptId, done, CancellationToken.None);
                Forget(assignment, work);
                return (outcome, answer.Next is { } next && nextPlace is not null ? new FollowingJob(next, nextPlace.HandOver()) : null);
            }
            catch (AgentRefusedException e) when (e.Status == HttpStatusCode.UnprocessableEntity && ++refusals < 5)
            {
                // The server lacks part of the log or an upload: send them again.
                say($"attempt {work.AttemptId}: {e.Message}");
                resync = true;
                uploaded = false;
            }
            catch (AgentRefusedException e)
            {
                say($"attempt {work.AttemptId}: its end was not recorded: {e.Message}");
                Forget(assignment, work);
                return (outcome, null);
            }
            catch (Exception e) when (e is HttpRequestException or HttpIOException)
            {
                say($"attempt {work.AttemptId}: cannot report its end yet ({e.Message}); again in {delay.TotalSeconds:0.#} s");
                await Task.Delay(delay);
                delay = retry.Next(delay);
                resync = true;
            }
        }
    }

    private static List<UploadedArchive> Uploads(IReadOnlyList<ArchivedPath> archives) =>
        archives.Select((a, i) => new UploadedArchive(a.Path, i, a.Size, a.Sha256)).ToList();

    /// <summary>Uploads the archives of a kind; the server's words when it refused them as too large (413), else null.</summary>
    private async Task<string?> UploadAsync(AgentAssignment work, string kind, IReadOnlyList<UploadedArchive> archives, string directory)
    {
        var files = new ArchiveFolder(directory).Read();
        foreach (var archive in archives)
        {
            var url = kind switch
            {
                "artifacts" => AgentRoutes.UploadArtifact(work.AttemptId, archive.Index),
                "reports" => AgentRoutes.UploadReports(work.AttemptId, archive.Index),
                _ => AgentRoutes.UploadCache(work.AttemptId, archive.Index),
            };
            try
            {
                await client.UploadAsync(url, work.AttemptCredential, Path.Combine(directory, files[archive.Index].File), archive.Sha256, CancellationToken.None);
            }
            catch (AgentRefusedException e) when (e.Status == HttpStatusCode.RequestEntityTooLarge)
            {
                return e.Detail;
            }
        }

        return null;
    }

    private static async Task<(long Length, string Sha256)> DigestAsync(string logPath)
    {
        if (!File.Exists(logPath)) return (0, Convert.ToHexStringLower(SHA256.HashData([])));
        await using var file = new FileStream(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return (file.Length, Convert.ToHexStringLower(await SHA256.HashDataAsync(file)));
    }

    /// <summary>Once the server has it all, the agent's copies go (the log, its artifacts, the needs it fetched).</summary>
    private void Forget(JobAssignment assignment, AgentAssignment work)
    {
        TryDelete(layout.JobLog(assignment.RunId, work.Job.Id, work.Attempt));
        TryDelete(layout.Artifacts(assignment.RunId, NeedsFolder(work)));
        TryDelete(layout.Artifacts(assignment.RunId, work.Job.Id));
        TryDelete(layout.Reports(assignment.RunId, work.Job.Id, work.Attempt));
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (File.Exists(path)) File.Delete(path);
            else if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // Removed at the agent's next start.
        }
    }
}

/// <summary>A job the server handed a slot with the end of its last one, and the clean-up place reserved for it (its holder gives it up).</summary>
internal sealed record FollowingJob(AgentAssignment Work, CleanupPlace Place);
