using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Reliability;

/// <summary>
/// One crash scenario on real processes: a repository, a data directory and the server processes that use it one after
/// another (each killed as with kill -9 or left to finish), a client that counts requests and 5xx answers across restarts,
/// and the checks every scenario ends with (<see cref="SettleAsync"/>).
/// </summary>
internal sealed class CrashHarness : IAsyncDisposable
{
    public const string Project = "crashy";

    /// <summary>The remote agent of <see cref="KillTarget.Agent"/> scenarios.</summary>
    public const string AgentName = "crash-agent";

    private readonly TempDirectory _directory = new("pipeliner-reliability-");
    private readonly RequestCounter _requests = new();
    private readonly List<int> _killed = [];
    private readonly List<long> _triggered = [];
    private readonly Stopwatch _elapsed = Stopwatch.StartNew();
    private readonly System.Text.StringBuilder _agentOutput = new();
    private ServerProcess? _server;
    private HttpClient? _client;
    private AgentProcess? _agent;
    private int _agentCapacity;

    private CrashHarness(string pipeline) => Repository = GitRepository.WithPipeline(_directory.Combine("repo"), pipeline);

    public GitRepository Repository { get; }

    public string DataDir => _directory.Combine("data");

    private string AgentWorkDir => _directory.Combine("agent");

    public HttpClient Client => _client ?? throw new InvalidOperationException("no server is running");

    public ServerProcess Server => _server ?? throw new InvalidOperationException("no server is running");

    /// <summary>What the server and the remote agents (killed ones too) printed, for failure messages.</summary>
    public string Output => $"server:\n{Server.Output}\nagents:\n{_agentOutput}{_agent?.Output}";

    /// <summary>
    /// Starts the first server on a fresh data directory and registers the project for the pipeline. For
    /// <see cref="KillTarget.Agent"/> the jobs run on a remote agent with <paramref name="agentCapacity"/> slots (the
    /// server's embedded agent off); 0 starts none yet.
    /// </summary>
    public static async Task<CrashHarness> StartAsync(string pipeline, int agentCapacity = 2, KillTarget target = KillTarget.Server)
    {
        await DockerProbe.EnsureEngineAsync();
        var harness = new CrashHarness(pipeline);
        await harness.StartServerAsync(target == KillTarget.Agent ? 0 : agentCapacity);
        using var created = await harness.Client.PostProjectAsync(Project, harness.Repository.Path);
        await Api.ExpectAsync(created, HttpStatusCode.Created);
        if (target == KillTarget.Agent && agentCapacity > 0)
        {
            using var response = await harness.Client.PostAsJsonAsync("/api/agents/tokens", new { name = "reliability" });
            await Api.ExpectAsync(response, HttpStatusCode.Created);
            var token = (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("token").GetString();
            harness._agentCapacity = agentCapacity;
            await harness.StartAgentAsync(token);
        }

        return harness;
    }

    /// <summary>The remote agent, with the registration token the first time and its kept credential after.</summary>
    private async Task StartAgentAsync(string? token)
    {
        _agent = AgentProcess.Start(Server.BaseAddress, token, AgentName, "linux,docker", AgentWorkDir, _agentCapacity);
        await _agent.WaitForOutputAsync("is waiting for jobs", TimeSpan.FromSeconds(120));
    }

    public async Task StartServerAsync(int agentCapacity = 2)
    {
        _server = await ServerProcess.StartAsync(DataDir, agentCapacity);
        _client?.Dispose();
        _client = _server.Client(handler: _requests);
    }

    /// <summary>kill -9 of the server: no shutdown code runs, its containers keep running.</summary>
    public async Task KillServerAsync()
    {
        _killed.Add(Server.ProcessId);
        await Server.KillAsync();
        await Server.DisposeAsync();
        _server = null;
    }

    /// <summary>Kills <paramref name="target"/> as with kill -9 and starts it again.</summary>
    public async Task KillAndRestartAsync(KillTarget target, int agentCapacity = 2)
    {
        switch (target)
        {
            case KillTarget.Server:
                await KillServerAsync();
                await StartServerAsync(agentCapacity);
                break;
            case KillTarget.Agent:
                var agent = _agent ?? throw new InvalidOperationException("no remote agent is running");
                _killed.Add(agent.ProcessId);
                await agent.KillAsync();
                _agentOutput.Append(agent.Output);
                await agent.DisposeAsync();
                await StartAgentAsync(token: null);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(target), target, "no way to kill this yet");
        }
    }

    public async Task<long> TriggerAsync()
    {
        var id = await Client.TriggerAsync(Project);
        _triggered.Add(id);
        return id;
    }

    /// <summary>Waits until a container of <paramref name="job"/>'s attempt runs.</summary>
    public static Task RunningContainerAsync(string job, int attempt) =>
        Poll.UntilAsync(() => DockerProbe.JobContainersAsync(job),
            containers => containers.Any(c => c.State == "running" && IsAttempt(c, attempt)),
            $"attempt {attempt} of '{job}' to run in a container", TimeSpan.FromSeconds(60));

    /// <summary>Workflow ids end in the attempt number and a nonce: <c>{run}-{job}-{attempt}-{nonce}</c>.</summary>
    private static bool IsAttempt(Docker.DotNet.Models.ContainerListResponse container, int attempt) =>
        System.Text.RegularExpressions.Regex.IsMatch(container.Labels["io.pipeliner.workflow"], $"-{attempt}-[0-9a-f]{{8}}$");

    /// <summary>The stored log of one attempt, as lines (each with its timestamp).</summary>
    public async Task<string[]> LogLinesAsync(long runId, string job, int attempt) =>
        (await Client.LogAsync(runId, job, attempt)).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The lines the attempt logged so far; none while it has not started.</summary>
    public async Task<string[]> LogLinesSoFarAsync(long runId, string job, int attempt)
    {
        using var response = await Client.GetAsync($"/api/runs/{runId}/jobs/{Uri.EscapeDataString(job)}/log?attempt={attempt}");
        if (response.StatusCode == HttpStatusCode.NotFound) return [];
        await Api.ExpectAsync(response, HttpStatusCode.OK);
        return (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>
    /// Waits for every triggered run to finish (a run still unfinished at the deadline is stuck), then counts what was
    /// lost, duplicated or left over: runs, containers of the scenario's jobs or of killed servers, workspace folders.
    /// </summary>
    public async Task<CrashFigures> SettleAsync(string scenario, IReadOnlyCollection<string> jobs, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var runs = new List<RunView>();
        var lost = 0;
        foreach (var id in _triggered)
        {
            using var response = await Client.GetAsync($"/api/runs/{id}");
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                lost++;
                continue;
            }

            runs.Add(await UntilFinishedAsync(id, deadline));
        }

        var listed = (await Client.GetFromJsonAsync<PageView>($"/api/projects/{Project}/runs?pageSize=100", Api.Json))!;
        var duplicated = Math.Max(0, listed.Total - (_triggered.Count - lost)) + (listed.Items.Count - listed.Items.Select(r => r.Number).Distinct().Count());
        var containers = await LeftoverContainersAsync(jobs);
        var workspaces = await LeftoverWorkspacesAsync();
        return new CrashFigures(
            scenario, _killed.Count, _requests.Requests, _requests.ServerErrors, _triggered.Count, lost, duplicated,
            runs.Count(r => !r.IsFinished), containers, workspaces,
            runs.Sum(r => r.Jobs.Sum(j => j.Attempts.Count(a => a.Cause == "lost"))), _elapsed.Elapsed);
    }

    public async ValueTask DisposeAsync()
    {
        if (_agent is not null) await _agent.DisposeAsync();
        _client?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
        _requests.Dispose();
        _directory.Dispose();
    }

    private async Task<RunView> UntilFinishedAsync(long id, DateTime deadline)
    {
        while (true)
        {
            var run = await Client.GetRunAsync(id);
            if (run.IsFinished || DateTime.UtcNow > deadline) return run;
            await Task.Delay(100);
        }
    }

    /// <summary>Containers of the jobs, or owned by a killed server, once the last attempts had time to clean up.</summary>
    private async Task<int> LeftoverContainersAsync(IReadOnlyCollection<string> jobs)
    {
        async Task<int> CountAsync()
        {
            var ids = new HashSet<string>(StringComparer.Ordinal);
            foreach (var job in jobs) ids.UnionWith((await DockerProbe.JobContainersAsync(job)).Select(c => c.ID));
            foreach (var pid in _killed) ids.UnionWith((await DockerProbe.ContainersOfProcessAsync(pid)).Select(c => c.ID));
            return ids.Count;
        }

        try
        {
            return await Poll.UntilAsync(CountAsync, count => count == 0, "the scenario's containers to be removed", TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            return await CountAsync();
        }
    }

    /// <summary>Workspace folders left under the data directory, and the remote agent's work directory, once every attempt ended.</summary>
    private async Task<int> LeftoverWorkspacesAsync()
    {
        string[] workspaces = [Path.Combine(DataDir, "workspaces"), Path.Combine(AgentWorkDir, "workspaces")];
        int Count() => workspaces.Where(Directory.Exists).Sum(w => Directory.GetFileSystemEntries(w).Length);
        try
        {
            return await Poll.UntilAsync(() => Task.FromResult(Count()), count => count == 0, "the workspaces to be removed", TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            return Count();
        }
    }
}
