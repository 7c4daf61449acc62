using System.CommandLine;
using System.Runtime.InteropServices;
using Pipeliner.Engine.Backends;
using Pipeliner.Engine.Backends.Docker;
using Pipeliner.Engine.Backends.Shell;
using Pipeliner.Engine.Kubernetes;

namespace Pipeliner.Cli.Agent;

/// <summary>
/// <c>pipeliner agent --server URL --token TOKEN --name NAME --labels a,b --capacity N --work-dir DIR
/// [--backend docker|shell|kubernetes] [--max-retry-delay SECONDS]</c>; each option also from PIPELINER_SERVER,
/// PIPELINER_AGENT_TOKEN, PIPELINER_AGENT_NAME, PIPELINER_AGENT_LABELS, PIPELINER_AGENT_CAPACITY, PIPELINER_AGENT_WORK_DIR,
/// PIPELINER_AGENT_BACKEND, PIPELINER_AGENT_MAX_RETRY_DELAY.
/// </summary>
internal static class AgentCommand
{
    public static Command Create(CliConsole console)
    {
        var server = new Option<string?>("--server") { Description = "The Pipeliner server's URL (PIPELINER_SERVER)" };
        var token = new Option<string?>("--token") { Description = "A registration token from POST /api/agents/tokens, for the first start (PIPELINER_AGENT_TOKEN)" };
        var name = new Option<string?>("--name") { Description = "The agent's name (PIPELINER_AGENT_NAME; default: the host name)" };
        var labels = new Option<string?>("--labels") { Description = "Labels jobs ask for with runs-on, comma-separated (PIPELINER_AGENT_LABELS; default linux,docker)" };
        var capacity = new Option<int?>("--capacity") { Description = "Jobs run at once (PIPELINER_AGENT_CAPACITY; default: number of cores)" };
        var workDir = new Option<string?>("--work-dir") { Description = "Where the agent keeps its credential, workspaces, logs and caches (PIPELINER_AGENT_WORK_DIR; default ./pipeliner-agent)" };
        var backend = new Option<string?>("--backend") { Description = "docker (default), shell (unisolated) or kubernetes (PIPELINER_AGENT_BACKEND)" };
        var maxRetryDelay = new Option<string?>("--max-retry-delay")
        {
            Description = "The longest wait, in seconds, before trying the server again after it could not be reached; the waits double up to it from 1 s (PIPELINER_AGENT_MAX_RETRY_DELAY; default 10, 0.1 to 300)",
        };
        var command = new Command("agent", "Run jobs for a Pipeliner server on this machine")
        {
            server, token, name, labels, capacity, workDir, backend, maxRetryDelay,
        };
        command.SetAction(async (result, _) =>
        {
            AgentSettings settings;
            try
            {
                settings = Settings(result.GetValue(server), result.GetValue(token), result.GetValue(name), result.GetValue(labels),
                    result.GetValue(capacity), result.GetValue(workDir), result.GetValue(backend), result.GetValue(maxRetryDelay),
                    Environment.GetEnvironmentVariable);
            }
            catch (UsageException e)
            {
                console.Error.WriteLine($"pipeliner agent: {e.Message}");
                return ExitCodes.Error;
            }

            using var signals = new TwoStepSignal(console);
            try
            {
                await using var engine = CreateBackend(settings);
                return await new AgentHost(settings, engine, console).RunAsync(signals.StopClaiming, signals.CancelJobs);
            }
            catch (Exception e) when (e is UsageException or BackendUnavailableException or ArgumentException)
            {
                console.Error.WriteLine($"pipeliner agent: {e.Message}");
                return ExitCodes.Error;
            }
            catch (OperationCanceledException) when (signals.StopClaiming.IsCancellationRequested)
            {
                return 0;
            }
        });
        return command;
    }

    /// <summary>Options over environment variables over defaults, checked.</summary>
    internal static AgentSettings Settings(
        string? server, string? token, string? name, string? labels, int? capacity, string? workDir, string? backend, string? maxRetryDelay,
        Func<string, string?> environment)
    {
        string? Env(string variable) => environment(variable) is { Length: > 0 } value ? value.Trim() : null;
        var url = server ?? Env("PIPELINER_SERVER") ?? throw new UsageException("--server (PIPELINER_SERVER): the Pipeliner server's URL is needed");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new UsageException($"--server: '{url}' is not an http(s) URL");
        var slots = capacity ?? (Env("PIPELINER_AGENT_CAPACITY") is { } text
            ? int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var parsed) ? parsed : throw new UsageException($"PIPELINER_AGENT_CAPACITY: '{text}' is not a number")
            : Environment.ProcessorCount);
        if (slots is < 1 or > 256) throw new UsageException("--capacity: 1 to 256 jobs at once");
        var labelList = (labels ?? Env("PIPELINER_AGENT_LABELS") ?? "linux,docker")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (labelList.Length == 0) throw new UsageException("--labels: at least one label, e.g. linux,docker");
        var engine = backend ?? Env("PIPELINER_AGENT_BACKEND") ?? "docker";
        if (engine is not ("docker" or "shell" or "kubernetes")) throw new UsageException($"--backend: unknown backend '{engine}' (docker, shell or kubernetes)");
        var agentName = name ?? Env("PIPELINER_AGENT_NAME") ?? Environment.MachineName.ToLowerInvariant();
        var baseUri = uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
        var retry = RetryBackoffSetting(maxRetryDelay ?? Env("PIPELINER_AGENT_MAX_RETRY_DELAY"));
        return new AgentSettings(baseUri, token ?? Env("PIPELINER_AGENT_TOKEN"), agentName, labelList, slots,
            Path.GetFullPath(workDir ?? Env("PIPELINER_AGENT_WORK_DIR") ?? "pipeliner-agent"), engine, retry);
    }

    /// <summary>Seconds, e.g. <c>10</c> or <c>0.5</c>; null: the default.</summary>
    private static RetryBackoff RetryBackoffSetting(string? seconds)
    {
        if (seconds is null) return RetryBackoff.Default;
        if (!double.TryParse(seconds, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value)
            || !double.IsFinite(value))
            throw new UsageException($"--max-retry-delay: '{seconds}' is not a number of seconds");
        if (value < RetryBackoff.SmallestMax.TotalSeconds || value > RetryBackoff.LargestMax.TotalSeconds)
            throw new UsageException($"--max-retry-delay: {RetryBackoff.SmallestMax.TotalSeconds:0.#} to {RetryBackoff.LargestMax.TotalSeconds:0} seconds");
        return new RetryBackoff(TimeSpan.FromSeconds(value));
    }

    private static IExecutionBackend CreateBackend(AgentSettings settings) => settings.Backend switch
    {
        "shell" => new ShellBackend(),
        "kubernetes" => KubernetesBackend.Create(KubernetesBackendOptions.FromEnvironment(settings.Name, Environment.GetEnvironmentVariable)),
        _ => new DockerBackend(shellBackendSetting: "--backend shell"),
    };

    /// <summary>The first Ctrl-C or SIGTERM stops taking jobs (running ones finish); the second cancels the running jobs.</summary>
    private sealed class TwoStepSignal : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly CancellationTokenSource _cancel = new();
        private readonly PosixSignalRegistration[] _registrations;

        public TwoStepSignal(CliConsole console)
        {
            _registrations =
            [
                PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle),
                PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle),
            ];

            void Handle(PosixSignalContext context)
            {
                context.Cancel = true;
                if (!_stop.IsCancellationRequested)
                {
                    console.Error.WriteLine("pipeliner agent: stopping: no new jobs; running jobs finish (signal again to cancel them)");
                    _stop.Cancel();
                }
                else if (!_cancel.IsCancellationRequested)
                {
                    console.Error.WriteLine("pipeliner agent: canceling the running jobs");
                    _cancel.Cancel();
                }
            }
        }

        public CancellationToken StopClaiming => _stop.Token;

        public CancellationToken CancelJobs => _cancel.Token;

        public void Dispose()
        {
            foreach (var registration in _registrations) registration.Dispose();
            _stop.Dispose();
            _cancel.Dispose();
        }
    }
}
