using System.Net;
using Pipeliner.Agent.Contracts;
using Pipeliner.Engine.Backends;
using Pipeliner.Engine.Execution;
using Pipeliner.Engine.Storage;
using Pipeliner.Engine.Workspaces;

namespace Pipeliner.Cli.Agent;

/// <summary>What <c>pipeliner agent</c> was started with.</summary>
internal sealed record AgentSettings(
    Uri Server, string? Token, string Name, IReadOnlyList<string> Labels, int Capacity, string WorkDir, string Backend, RetryBackoff Retry);

/// <summary>
/// A remote agent: registers (or reconnects with the credential in its work directory), removes what a previous run of it
/// left behind, then claims jobs by long poll while it has a free slot and runs each one (<see cref="AttemptExecution"/>);
/// a slot whose job's end came back with the next job runs that one at once, and polls again only when none came.
/// Asked to stop, it claims no more and lets running jobs finish; asked again, it cancels them (they report canceled).
/// </summary>
internal sealed class AgentHost(AgentSettings settings, IExecutionBackend backend, CliConsole console)
{
    private static readonly TimeSpan PollWait = TimeSpan.FromSeconds(30);

    public static string Version => typeof(AgentHost).Assembly.GetName().Version?.ToString() ?? "0";

    /// <param name="stopClaiming">The first signal.</param>
    /// <param name="cancelJobs">The second signal.</param>
    public async Task<int> RunAsync(CancellationToken stopClaiming, CancellationToken cancelJobs)
    {
        var layout = new DataLayout(settings.WorkDir);
        using var http = new HttpClient { BaseAddress = settings.Server, Timeout = TimeSpan.FromMinutes(10) };
        http.DefaultRequestHeaders.UserAgent.ParseAdd($"pipeliner-agent/{Version}");
        var client = new AgentClient(http);
        await ConnectAsync(client, stopClaiming);
        await RemoveLeftoversAsync(layout, stopClaiming);

        var workspaces = new ServerWorkspaces(client, layout);
        var runner = new JobRunner(backend, layout, new WorkspacePreparer(layout), TimeProvider.System, workspaces, workspaces);
        // A place per slot for the job it runs and one for the clean-up it left behind (docs/architecture.md).
        var cleanups = new BackgroundCleanups(2 * settings.Capacity,
            (assignment, e) => Say($"job '{assignment.Job.Id}' of run {assignment.RunId}: clean-up failed ({e.Message}); what is left is removed at the next start"));
        var execution = new AttemptExecution(client, runner, cleanups, layout, workspaces, settings.Retry, Say);
        using var slots = new SemaphoreSlim(settings.Capacity, settings.Capacity);
        var running = new List<Task>();
        Say($"agent {settings.Name} ({string.Join(',', settings.Labels)}, {settings.Capacity} slot(s), {backend.Name} backend) is waiting for jobs from {settings.Server}");
        var delay = settings.Retry.First(TimeSpan.FromSeconds(1));
        while (!stopClaiming.IsCancellationRequested)
        {
            try
            {
                await slots.WaitAsync(stopClaiming);
                var slotTaken = false;
                try
                {
                    // Reserved before the claim: a slot whose clean-ups are still behind it claims no job it cannot start.
                    using var place = await cleanups.ReserveAsync(stopClaiming);
                    var work = await client.NextAsync(PollWait, stopClaiming);
                    delay = settings.Retry.First(TimeSpan.FromSeconds(1));
                    if (work is null) continue;

                    running.RemoveAll(t => t.IsCompleted);
                    var first = new FollowingJob(work, place.HandOver());
                    running.Add(Task.Run(async () =>
                    {
                        try
                        {
                            await RunSlotAsync(execution, cleanups, first, stopClaiming, cancelJobs);
                        }
                        finally
                        {
                            slots.Release();
                        }
                    }, CancellationToken.None));
                    slotTaken = true;
                }
                finally
                {
                    if (!slotTaken) slots.Release();
                }
            }
            catch (OperationCanceledException) when (stopClaiming.IsCancellationRequested)
            {
                break;
            }
            catch (AgentRefusedException e) when (e.Status == HttpStatusCode.Unauthorized)
            {
                Say($"the server no longer knows this agent ({e.Message}); registering again");
                await ConnectAsync(client, stopClaiming, forceRegister: true);
            }
            catch (Exception e) when (e is HttpRequestException or AgentRefusedException or TaskCanceledException)
            {
                Say($"cannot reach the server: {e.Message}; trying again in {delay.TotalSeconds:0.#} s");
                await Task.Delay(delay, CancellationToken.None);
                delay = settings.Retry.Next(delay);
            }
        }

        var left = running.Count(t => !t.IsCompleted);
        if (left > 0) Say($"stopping: no new jobs; waiting for {left} running job(s) to finish (a second signal cancels them)");
        await Task.WhenAll(running);
        await cleanups.DrainAsync();
        Say("stopped");
        return cancelJobs.IsCancellationRequested ? 130 : 0;
    }

    /// <summary>
    /// A slot's jobs, one after another while each end comes back with the next (asked for only while a clean-up place is
    /// free at once and the agent is not stopping).
    /// </summary>
    private async Task RunSlotAsync(
        AttemptExecution execution, BackgroundCleanups cleanups, FollowingJob first, CancellationToken stopClaiming, CancellationToken cancelJobs)
    {
        for (var job = first; job is not null;)
        {
            var (work, place) = job;
            job = null;
            try
            {
                job = await execution.RunAsync(work, place, () => stopClaiming.IsCancellationRequested ? null : cleanups.TryReserve(), cancelJobs);
                if (job is not null) Say($"job '{job.Work.Job.Id}' of run {job.Work.RunId}: claimed with the end of job '{work.Job.Id}'");
            }
            catch (Exception e)
            {
                Say($"job '{work.Job.Id}' of run {work.RunId}: the agent failed: {e.GetType().Name}: {e.Message}");
            }
        }
    }

    private void Say(string message) => console.Error.WriteLine($"pipeliner agent: {message}");

    /// <summary>Reconnects with the credential in the work directory, or registers with the token and keeps the credential there.</summary>
    private async Task ConnectAsync(AgentClient client, CancellationToken cancellationToken, bool forceRegister = false)
    {
        var identity = forceRegister ? null : AgentIdentity.Load(settings.WorkDir);
        if (identity is not null && (identity.Name != settings.Name || identity.Server != settings.Server.ToString())) identity = null;
        var delay = settings.Retry.First(TimeSpan.FromSeconds(1));
        while (true)
        {
            try
            {
                if (identity is null)
                {
                    if (settings.Token is null)
                        throw new UsageException($"no credential in {Path.Combine(settings.WorkDir, AgentIdentity.FileName)} for agent {settings.Name}: register it with --token (PIPELINER_AGENT_TOKEN)");
                    var registered = await client.RegisterAsync(settings.Token,
                        new RegisterAgentRequest(settings.Name, settings.Labels, settings.Capacity, Version), cancellationToken);
                    identity = new AgentIdentity(settings.Server.ToString(), registered.Name, registered.Credential);
                    identity.Save(settings.WorkDir);
                    Say($"registered as {registered.Name}; its credential is kept in {Path.Combine(settings.WorkDir, AgentIdentity.FileName)}");
                }

                client.Credential = identity.Credential;
                var welcome = await client.HelloAsync(new AgentHello(settings.Labels, settings.Capacity, Version), cancellationToken);
                if (welcome.AbandonedAttempts > 0)
                    Say($"the {welcome.AbandonedAttempts} job(s) this agent ran before it stopped are recorded as lost (retried by the server)");
                return;
            }
            catch (AgentRefusedException e) when (e.Status == HttpStatusCode.Unauthorized && identity is not null && settings.Token is not null)
            {
                Say($"the credential in the work directory no longer works ({e.Message}); registering again");
                identity = null;
            }
            catch (AgentRefusedException e)
            {
                throw new UsageException(e.Message);
            }
            catch (HttpRequestException e)
            {
                Say($"cannot reach {settings.Server}: {e.Message}; trying again in {delay.TotalSeconds:0.#} s");
                await Task.Delay(delay, cancellationToken);
                delay = settings.Retry.Next(delay);
            }
        }
    }

    /// <summary>What an earlier run of this agent left: its containers, workspaces, logs and downloads (the server gave its jobs up).</summary>
    private async Task RemoveLeftoversAsync(DataLayout layout, CancellationToken cancellationToken)
    {
        await backend.CheckAvailableAsync(cancellationToken);
        await backend.RemoveOrphansAsync(cancellationToken);
        foreach (var folder in new[] { layout.WorkspacesDirectory, layout.RunsDirectory, Path.Combine(layout.Root, "downloads") })
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }
}
