using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Execution;
using Pipeliner.Engine.Logging;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Hosting;
using Pipeliner.Server.Scheduling;
using Pipeliner.Engine.Storage;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Agents;

/// <summary>
/// The agent inside the server: <c>Capacity</c> workers, each asking the protocol for the next job, running it
/// with the job runner while extending its lease (what it restores and saves through the artifact and cache stores,
/// <see cref="EmbeddedAgentArchives"/>), and reporting it done as soon as its end and log are known, the removal of its
/// containers and workspace going on behind (<see cref="BackgroundCleanups"/>). When the server stops, running jobs are
/// stopped and cleaned up but not reported: they count as lost and are queued again at the next start. On one process
/// only the first worker's wait looks again every few seconds (which keeps the agent online); the others wait for the
/// dispatch signal alone, which every change there that makes a job claimable rings (docs/performance.md). With
/// <see cref="AgentOptions.BackgroundNice"/> above zero the workers run on threads niced below the server's: claiming, starting containers and
/// storing their logs give way to the threads that answer requests while the cores are busy.
/// </summary>
public sealed class EmbeddedAgent(
    IAgentProtocol protocol, JobRunner runner, EmbeddedAgentArchives archives, DataLayout layout, DispatchSignal dispatch, IDatabaseProvider database,
    IOptions<PipelinerOptions> options, ILogger<EmbeddedAgent> logger) : BackgroundService
{
    public static readonly string Name = $"embedded@{Environment.MachineName}";
    /// <summary>How long the first worker's poll waits before asking again; its wait looks again every few seconds inside.</summary>
    private static readonly TimeSpan PollWait = TimeSpan.FromSeconds(30);

    /// <summary>How long an attempt's lines and end are sent again while the database is unreachable.</summary>
    private static readonly TimeSpan ReportPatience = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Where earlier versions' embedded agent wrote a copy of its attempts' logs (the log store gets the lines through
    /// <see cref="IAgentProtocol.LogAsync"/>, as a remote agent's, and no copy is written now); removed at start.
    /// </summary>
    private const string OldLogCopies = "embedded-agent";

    // A place per slot for the job it runs and one for the clean-up it left behind (docs/architecture.md).
    private readonly BackgroundCleanups _cleanups = new(2 * options.Value.Agent.Capacity,
        (assignment, e) => logger.LogWarning(e, "Could not clean up after job {Job} of run {Run}; what is left is removed at the next start",
            assignment.Job.Id, assignment.RunId));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var agent = new AgentInfo(Name, options.Value.Agent.Labels, options.Value.Agent.Capacity);
        var copies = Path.Combine(layout.Root, OldLogCopies);
        if (Directory.Exists(copies)) Directory.Delete(copies, recursive: true);
        await Task.WhenAll(Enumerable.Range(0, options.Value.Agent.Capacity)
            .Select(worker => LowPriorityThread.RunAsync($"Agent worker {worker + 1}", options.Value.Agent.BackgroundNice,
                () => WorkAsync(agent, LooksAgain(worker, database.SupportsReplicas), stoppingToken))));
        await _cleanups.DrainAsync();
    }

    /// <summary>
    /// Whether the worker's wait for a job also looks again every few seconds: the first worker's always (its looks write the
    /// agent's last-seen time), every worker's where replicas share the database (jobs another replica made ready ring no
    /// signal here); the others wait for the dispatch signal alone.
    /// </summary>
    public static bool LooksAgain(int worker, bool replicas) => worker == 0 || replicas;

    private async Task WorkAsync(AgentInfo agent, bool looksAgain, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Taken before looking: a job made ready while this worker looks is not missed by the wait after it.
                var notified = dispatch.Next;
                AgentWork? work;
                // Reserved before the claim: a slot whose clean-ups are still behind it claims no job it cannot start.
                using (var place = await _cleanups.ReserveAsync(stoppingToken))
                {
                    work = await protocol.NextAsync(agent, looksAgain ? PollWait : TimeSpan.Zero, stoppingToken);
                    if (work is not null) await RunAsync(work, place, stoppingToken);
                }

                if (work is null && !looksAgain) await notified.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "The embedded agent failed; it keeps serving");
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    /// <param name="place">The attempt's place in <see cref="_cleanups"/>, handed over to its clean-up once it starts.</param>
    private async Task RunAsync(AgentWork work, CleanupPlace place, CancellationToken stoppingToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        // On the pool: a worker's thread gives way to the intake, its lease's extension must not wait for that.
        var heartbeat = Task.Run(() => KeepLeaseAsync(work, stop), CancellationToken.None);
        var lines = Channel.CreateUnbounded<LogLine>(new UnboundedChannelOptions { SingleReader = true });
        var forwarding = ForwardLogsAsync(work.Key, lines.Reader);
        JobAttemptReport report;
        var assignment = work.Assignment;
        try
        {
            assignment = await archives.FetchAsync(work.Key, work.Assignment, stop.Token);

            // The report comes as soon as the job's end and log are known; its containers and workspace are removed behind.
            report = await _cleanups.RunAsync(place, runner, assignment, line => lines.Writer.TryWrite(line), stop.Token);
            report = report with { Artifacts = await archives.SaveAsync(work.Key, assignment, report, stop.Token) };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Job {Job} of run {Run} hit an infrastructure fault", work.Key.JobId, work.Key.RunId);
            report = new JobAttemptReport(AttemptOutcome.Failed(null, $"infrastructure fault: {e.Message.Split('\n')[0]}"), "", []);
        }
        finally
        {
            lines.Writer.TryComplete();
            await stop.CancelAsync();
            await heartbeat;
            await forwarding;
        }

        try
        {
            if (stoppingToken.IsCancellationRequested) return;
            await WhileUnavailableAsync(() => protocol.DoneAsync(work.Key, report, CancellationToken.None), $"the end of job {work.Key.JobId} of run {work.Key.RunId}",
                ReportPatience, stoppingToken);
        }
        finally
        {
            await archives.ForgetAsync(assignment);
        }
    }

    /// <summary>
    /// Runs <paramref name="call"/>, again every second while the database is unreachable (PostgreSQL restarting), for up
    /// to <paramref name="patience"/>: an outage shorter than that loses neither an attempt's end nor its lines. Other
    /// errors, and the last one, are thrown.
    /// </summary>
    private async Task WhileUnavailableAsync(Func<Task> call, string what, TimeSpan patience, CancellationToken stoppingToken)
    {
        var since = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                await call();
                return;
            }
            catch (Exception e) when (DatabaseErrors.IsUnavailable(e) && Stopwatch.GetElapsedTime(since) < patience && !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("The database is unavailable ({Message}); sending {What} again in a second", e.Message, what);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    /// <summary>Extends the lease every few seconds; a refusal (run canceled) stops the job.</summary>
    private async Task KeepLeaseAsync(AgentWork work, CancellationTokenSource stop)
    {
        var interval = TimeSpan.FromTicks(Math.Min(work.LeaseDuration.Ticks / 3, TimeSpan.FromSeconds(2).Ticks));
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(interval, stop.Token);
                try
                {
                    if (!await protocol.ExtendLeaseAsync(work.Key, stop.Token)) await stop.CancelAsync();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The database is out of reach for a moment: the job runs on, and the next beat extends the lease (one that
                    // ran out meanwhile is refused then, and the job stopped).
                    logger.LogWarning("Could not extend the lease of job {Job} of run {Run} ({Message}); trying again", work.Key.JobId, work.Key.RunId, e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The job ended or was stopped.
        }
    }

    private async Task ForwardLogsAsync(AttemptKey key, ChannelReader<LogLine> lines)
    {
        var batch = new List<LogLine>();
        while (await lines.WaitToReadAsync())
        {
            while (batch.Count < 500 && lines.TryRead(out var line)) batch.Add(line);
            try
            {
                await WhileUnavailableAsync(() => protocol.LogAsync(key, batch, CancellationToken.None), $"log lines of job {key.JobId} of run {key.RunId}",
                    ReportPatience, CancellationToken.None);
            }
            catch (Exception e)
            {
                // The job goes on, and its end is still reported.
                logger.LogError(e, "Lost {Count} log lines of job {Job} of run {Run}", batch.Count, key.JobId, key.RunId);
            }

            batch.Clear();
        }
    }
}
