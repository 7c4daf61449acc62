using System.Collections.Concurrent;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Pipeliner.Engine.Backends.Docker;

/// <summary>
/// Runs steps as containers on a Docker engine (<c>DOCKER_HOST</c>, else <c>/var/run/docker.sock</c>).
/// The workspace is bind-mounted at <c>/workspace</c>; services and the script share one network namespace,
/// pod-style, so services are reached on 127.0.0.1. Every container is labelled with its owner process.
/// </summary>
public sealed class DockerBackend : IExecutionBackend
{
    public const string WorkspaceMount = "/workspace";

    /// <summary>128 + SIGKILL: how a container's exit looks when the kernel killed its process.</summary>
    private const long KilledExitCode = 137;
    private static readonly TimeSpan OutOfMemoryEventWindow = TimeSpan.FromSeconds(10);

    private const string DefaultSocket = "unix:///var/run/docker.sock";

    private static readonly TimeSpan SamplerStopTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(500);

    private readonly DockerClient _client;
    private readonly DockerClientConfiguration _configuration;
    private readonly string _endpoint;
    private readonly string _endpointOrigin;
    private readonly string _shellBackendSetting;
    private readonly OwnerIdentity _owner;
    private readonly ConcurrentDictionary<(string Workflow, string Step), string> _containers = new();
    private readonly ConcurrentDictionary<(string Workflow, string Step), StepUsage> _usage = new();
    private readonly ConcurrentDictionary<(string Workflow, string Step), MultiplexedStream> _outputs = new();
    private readonly ConcurrentDictionary<(string Workflow, string Step), OutputPipe> _pipes = new();
    // Workflows whose every container this backend knows by id: their destruction needs no search by label.
    private readonly ConcurrentDictionary<string, bool> _trackedWorkflows = new();
    private readonly ConcurrentDictionary<string, bool> _uncertainWorkflows = new();
    // Images seen on the engine: later steps skip the inspect call (a create that finds one gone pulls it again).
    private readonly ConcurrentDictionary<string, bool> _presentImages = new(StringComparer.Ordinal);

    /// <param name="dockerHost">The engine's address; null: DOCKER_HOST, else the default socket.</param>
    /// <param name="owner">Whose containers these are (default: this process).</param>
    /// <param name="shellBackendSetting">How this program's user picks the shell backend, named when no engine answers.</param>
    public DockerBackend(string? dockerHost = null, OwnerIdentity? owner = null, string shellBackendSetting = "the shell backend")
    {
        var environment = Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : null;
        _endpoint = dockerHost ?? environment ?? DefaultSocket;
        _endpointOrigin = dockerHost is not null ? "" : environment is not null ? " (DOCKER_HOST)" : " (the default socket; DOCKER_HOST is not set)";
        _shellBackendSetting = shellBackendSetting;
        _owner = owner ?? OwnerIdentity.Current;
        // Waits and log follows last as long as a job does: no client-side request timeout.
        _configuration = new DockerClientConfiguration(new Uri(_endpoint), defaultTimeout: Timeout.InfiniteTimeSpan);
        _client = _configuration.CreateClient();
    }

    public string Name => "docker";

    public async Task CheckAvailableAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await _client.System.PingAsync(timeout.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new BackendUnavailableException(DockerErrors.Unreachable(_endpoint + _endpointOrigin, e, _shellBackendSetting), e);
        }
    }

    public async Task RemoveOrphansAsync(CancellationToken cancellationToken)
    {
        var containers = await _client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"{DockerLabels.Managed}=true"] = true },
            },
        }, cancellationToken);
        foreach (var container in containers)
        {
            container.Labels.TryGetValue(DockerLabels.Owner, out var ownerText);
            var owner = OwnerIdentity.Parse(ownerText);
            if (owner == _owner || owner?.IsAlive() == true) continue;
            await RemoveContainerAsync(container.ID, cancellationToken);
        }
    }

    public Task SetupWorkflowAsync(WorkflowSpec workflow, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StartStepAsync(WorkflowSpec workflow, StepSpec step, CancellationToken cancellationToken)
    {
        try
        {
            await StartContainerAsync(workflow, step, cancellationToken);
        }
        catch (HttpRequestException) when (!cancellationToken.IsCancellationRequested)
        {
            // No connection: when the engine is gone (or was never there), the job fails saying so and what fixes it,
            // and its clean-up has no container to look for: this call made none.
            try
            {
                await CheckAvailableAsync(cancellationToken);
            }
            catch (BackendUnavailableException)
            {
                _trackedWorkflows.TryAdd(workflow.Id, true);
                throw;
            }

            throw;
        }
    }

    private async Task StartContainerAsync(WorkflowSpec workflow, StepSpec step, CancellationToken cancellationToken)
    {
        var key = (workflow.Id, step.Name);
        if (_containers.ContainsKey(key)) return;
        await EnsureImageAsync(step.Image, cancellationToken);
        // The script's output, the bulk of a job's log, comes through a pipe; a service's through the attach stream.
        if (_pipes.TryRemove(key, out var stale)) stale.Dispose(); // from a start that failed before
        var pipe = step.Kind == StepKind.Script ? OutputPipe.TryCreate(workflow.WorkspacePath + ".output") : null;
        if (pipe is not null) _pipes[key] = pipe;
        try
        {
            var created = await CreateAsync(workflow, step, pipe, cancellationToken);
            _containers[key] = created.ID;
            // Attached before the start, like 'docker run': no output is missed, and it arrives as written, in large
            // chunks, instead of line by line through the engine's log files.
            _outputs[key] = await _client.Containers.AttachContainerAsync(created.ID, tty: false,
                new ContainerAttachParameters { Stream = true, Stdout = true, Stderr = true }, cancellationToken);
            await _client.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken);
        }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.BadRequest)
        {
            // The engine refuses what the job asked for (a command not in the image, an impossible limit).
            var what = step.Kind == StepKind.Service ? $"service '{step.Name}' ({step.Image})" : $"the job's container ({step.Image})";
            throw new StepStartException($"{what} cannot start: {DockerErrors.Describe(e)}", e);
        }
    }

    public Task<Stream> TailStepAsync(WorkflowSpec workflow, StepSpec step, CancellationToken cancellationToken)
    {
        var key = (workflow.Id, step.Name);
        if (!_outputs.TryRemove(key, out var output))
            throw new InvalidOperationException($"step '{step.Name}' of {workflow.Id} was not started, or is already tailed");
        // With a pipe, the attach stream carries only what the shell says when it cannot open the pipe.
        return Task.FromResult<Stream>(_pipes.TryGetValue(key, out var pipe)
            ? new SequentialReadStream(pipe.TakeReader(), new DockerLogStream(output))
            : new DockerLogStream(output));
    }

    public async Task<StepExit> WaitStepAsync(WorkflowSpec workflow, StepSpec step, CancellationToken cancellationToken)
    {
        var id = ContainerOf(workflow, step);
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sampler = SampleUsageAsync(workflow, step, id, sampling.Token);
        try
        {
            var response = await _client.Containers.WaitContainerAsync(id, cancellationToken);
            // A step that exited 0 was not killed; only a failure needs a look at why.
            var outOfMemory = response.StatusCode != 0 && await WasKilledForMemoryAsync(id, response.StatusCode, step, cancellationToken);
            var usage = _usage.GetValueOrDefault((workflow.Id, step.Name));
            return new StepExit((int)response.StatusCode, outOfMemory, usage.PeakMemoryBytes > 0 ? usage.PeakMemoryBytes : null)
            {
                CpuTimeMs = usage.CpuNanoseconds > 0 ? usage.CpuNanoseconds / 1_000_000 : null,
            };
        }
        finally
        {
            // The container's processes are gone (or the wait was given up): the output ends once it is read.
            if (_pipes.TryGetValue((workflow.Id, step.Name), out var pipe)) pipe.CloseWriter();
            await sampling.CancelAsync();
            // The client may not notice the cancellation while the engine sends no stats (a container that ended
            // before sampling began); then stop waiting: removing the container ends the stream.
            await Task.WhenAny(sampler, Task.Delay(SamplerStopTimeout, CancellationToken.None));
        }
    }

    public async Task<Stream?> CopyFromStepAsync(WorkflowSpec workflow, StepSpec step, string path, CancellationToken cancellationToken)
    {
        var id = ContainerOf(workflow, step);
        try
        {
            var archive = await _client.Containers.GetArchiveFromContainerAsync(id,
                new GetArchiveFromContainerParameters { Path = $"{WorkspaceMount}/{path.TrimEnd('/')}" }, statOnly: false, cancellationToken);
            return archive.Stream;
        }
        catch (DockerContainerNotFoundException)
        {
            return null; // the path does not exist: Docker answers 404 for both
        }
    }

    public async Task DestroyStepAsync(WorkflowSpec workflow, StepSpec step, CancellationToken cancellationToken)
    {
        if (_containers.TryRemove((workflow.Id, step.Name), out var id))
            await RemoveContainerAsync(id, cancellationToken);
        _usage.TryRemove((workflow.Id, step.Name), out _);
        if (_outputs.TryRemove((workflow.Id, step.Name), out var untailed)) untailed.Dispose();
        if (_pipes.TryRemove((workflow.Id, step.Name), out var pipe)) pipe.Dispose();
    }

    public async Task DestroyWorkflowAsync(WorkflowSpec workflow, CancellationToken cancellationToken)
    {
        foreach (var step in workflow.Steps) await DestroyStepAsync(workflow, step, cancellationToken);
        // The workflow's containers are looked up by label when this backend may not know them all: it did not start
        // the workflow (another process did, then crashed), or a create call failed after the engine made a container.
        var uncertain = _uncertainWorkflows.TryRemove(workflow.Id, out _);
        if (_trackedWorkflows.TryRemove(workflow.Id, out _) && !uncertain) return;
        var leftovers = await _client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"{DockerLabels.Workflow}={workflow.Id}"] = true },
            },
        }, cancellationToken);
        foreach (var container in leftovers) await RemoveContainerAsync(container.ID, cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        _configuration.Dispose();
        return ValueTask.CompletedTask;
    }

    private CreateContainerParameters CreateParameters(WorkflowSpec workflow, StepSpec step, OutputPipe? pipe)
    {
        var isScript = step.Kind == StepKind.Script;
        var firstService = workflow.Steps.FirstOrDefault(s => s.Kind == StepKind.Service);
        var sharesNetwork = firstService is not null && firstService.Name != step.Name;
        var memory = step.Resources.Memory?.Bytes ?? 0;
        return new CreateContainerParameters
        {
            Image = step.Image,
            // With a pipe, a shell sends the command's output into it: 'exec' keeps the command the container's process.
            Entrypoint = !isScript ? null
                : pipe is null ? step.Command.ToList()
                : ["/bin/sh", "-c", $"exec \"$@\" >{OutputPipe.ContainerPath} 2>&1", "pipeliner", .. step.Command],
            Cmd = !isScript && step.Command.Count > 0 ? step.Command.ToList() : null,
            Env = step.Environment.Select(e => $"{e.Key}={e.Value}").ToList(),
            WorkingDir = isScript ? WorkspaceMount : null,
            Labels = new Dictionary<string, string>
            {
                [DockerLabels.Managed] = "true",
                [DockerLabels.Owner] = _owner.ToString(),
                [DockerLabels.Run] = workflow.RunId,
                [DockerLabels.Job] = workflow.JobId,
                [DockerLabels.Workflow] = workflow.Id,
                [DockerLabels.Step] = step.Name,
            },
            HostConfig = new HostConfig
            {
                Binds = !isScript ? null
                    : pipe is null ? [$"{workflow.WorkspacePath}:{WorkspaceMount}"]
                    : [$"{workflow.WorkspacePath}:{WorkspaceMount}", $"{pipe.HostDirectory}:{OutputPipe.MountPoint}:ro"],
                Memory = memory,
                // Swap equal to memory: the limit is a real limit and an overrun is an OOM kill, not swapping.
                MemorySwap = memory,
                NanoCPUs = step.Resources.Cpus is { } cpus ? (long)(cpus * 1_000_000_000m) : 0,
                // Processes and threads of the container (its cgroup's pids.max): a fork bomb stops there, not at the host's.
                PidsLimit = step.Resources.Pids,
                NetworkMode = sharesNetwork ? $"container:{_containers[(workflow.Id, firstService!.Name)]}" : null,
                // Output is read through the attach stream and stored by Pipeliner; the engine keeps no second copy.
                LogConfig = new LogConfig { Type = "none" },
            },
        };
    }

    private async Task<CreateContainerResponse> CreateAsync(WorkflowSpec workflow, StepSpec step, OutputPipe? pipe, CancellationToken cancellationToken)
    {
        try
        {
            var parameters = CreateParameters(workflow, step, pipe);
            CreateContainerResponse created;
            try
            {
                created = await _client.Containers.CreateContainerAsync(parameters, cancellationToken);
            }
            catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound && _presentImages.TryRemove(step.Image, out _))
            {
                // The image was removed since this backend saw it.
                await EnsureImageAsync(step.Image, cancellationToken);
                created = await _client.Containers.CreateContainerAsync(parameters, cancellationToken);
            }

            _trackedWorkflows[workflow.Id] = true;
            return created;
        }
        catch
        {
            _uncertainWorkflows[workflow.Id] = true;
            throw;
        }
    }

    private async Task<bool> WasKilledForMemoryAsync(string id, long exitCode, StepSpec step, CancellationToken cancellationToken)
    {
        var container = await _client.Containers.InspectContainerAsync(id, cancellationToken);
        return container.State.OOMKilled ||
               (exitCode == KilledExitCode && step.Resources.Memory is not null &&
                await HadOutOfMemoryEventAsync(id, container.Created, cancellationToken));
    }

    private async Task EnsureImageAsync(string image, CancellationToken cancellationToken)
    {
        if (_presentImages.ContainsKey(image)) return;
        try
        {
            await _client.Images.InspectImageAsync(image, cancellationToken);
            _presentImages[image] = true;
            return;
        }
        catch (DockerImageNotFoundException)
        {
            // Not here yet: pull it below.
        }

        var (repository, tag) = SplitReference(image);
        try
        {
            await _client.Images.CreateImageAsync(new ImagesCreateParameters { FromImage = repository, Tag = tag },
                authConfig: null, new Progress<JSONMessage>(), cancellationToken);
            await _client.Images.InspectImageAsync(image, cancellationToken);
            _presentImages[image] = true;
        }
        catch (DockerApiException e)
        {
            throw new StepStartException($"image '{image}' is not on this engine and pulling it failed: {DockerErrors.Describe(e)}", e);
        }
    }

    /// <summary>Splits <c>registry:5000/team/app:1.2</c> into repository and tag (digest references keep no tag).</summary>
    internal static (string Repository, string? Tag) SplitReference(string image)
    {
        if (image.Contains('@', StringComparison.Ordinal)) return (image, null);
        var colon = image.LastIndexOf(':');
        return colon > image.LastIndexOf('/') ? (image[..colon], image[(colon + 1)..]) : (image, "latest");
    }

    /// <summary>
    /// The engine marks a container OOM-killed only when the kernel's OOM event reaches it before the exit; when the
    /// killed process is not the container's first one, the script often exits first. The event is logged either
    /// way, so a SIGKILL exit under a memory limit is checked against the engine's event log.
    /// </summary>
    private async Task<bool> HadOutOfMemoryEventAsync(string id, DateTime created, CancellationToken cancellationToken)
    {
        var parameters = new ContainerEventsParameters
        {
            Since = UnixSeconds(created.ToUniversalTime()),
            // The event may be logged a while after the exit when the engine is busy (seen > 2 s under load); a real
            // OOM answers at its event, only a SIGKILL for another reason waits the whole window.
            Until = UnixSeconds(DateTime.UtcNow.Add(OutOfMemoryEventWindow)),
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["container"] = new Dictionary<string, bool> { [id] = true },
                ["event"] = new Dictionary<string, bool> { ["oom"] = true },
            },
        };
        using var found = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var seen = false;
        try
        {
            await _client.System.MonitorEventsAsync(parameters, new InlineProgress<Message>(_ =>
            {
                seen = true;
                found.Cancel();
            }), found.Token);
        }
        catch (OperationCanceledException) when (seen)
        {
            // Stopped listening at the first event: that is the answer.
        }

        return seen;
    }

    private static string UnixSeconds(DateTime utc) =>
        new DateTimeOffset(utc, TimeSpan.Zero).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Samples the container's memory and CPU time with one-shot stats requests: each answers at once, so sampling stops
    /// as soon as the step ends (a streaming request may not notice a cancellation while the engine sends nothing). The
    /// engine's memory figure is the peak since the container started, so sparse samples still catch the peak; its CPU
    /// figure is the container's total so far, so the last sample is the step's CPU time up to then (within one interval).
    /// </summary>
    private async Task SampleUsageAsync(WorkflowSpec workflow, StepSpec step, string id, CancellationToken cancellationToken)
    {
        var key = (workflow.Id, step.Name);
        var progress = new InlineProgress<ContainerStatsResponse>(stats =>
        {
            if (!_containers.ContainsKey(key)) return;
            var sample = new StepUsage(
                (long)Math.Max(stats.MemoryStats?.MaxUsage ?? 0, stats.MemoryStats?.Usage ?? 0),
                (long)Math.Min(stats.CPUStats?.CPUUsage?.TotalUsage ?? 0, long.MaxValue));
            _usage.AddOrUpdate(key, sample, (_, old) => old.Max(sample));
        });
        try
        {
            // A step that ends within the first interval is not sampled: the engine seldom has figures for so short a
            // life, and a stats request per trivial job costs the engine as much as the job.
            await Task.Delay(SampleInterval, cancellationToken);
            while (!cancellationToken.IsCancellationRequested)
            {
                await _client.Containers.GetContainerStatsAsync(id, new ContainerStatsParameters { Stream = false, OneShot = true }, progress, cancellationToken);
                await Task.Delay(SampleInterval, cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or DockerApiException or IOException or HttpRequestException)
        {
            // Sampling is best effort: the container ending or the wait finishing stops it.
        }
    }

    private async Task RemoveContainerAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            await _client.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, cancellationToken);
        }
        catch (DockerContainerNotFoundException)
        {
            // Already gone: destroy is idempotent.
        }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            // Removal already in progress.
        }
    }

    private string ContainerOf(WorkflowSpec workflow, StepSpec step) =>
        _containers.TryGetValue((workflow.Id, step.Name), out var id)
            ? id
            : throw new InvalidOperationException($"step '{step.Name}' of {workflow.Id} was not started");
}

/// <summary>What sampling saw of a step: its peak memory and its CPU time so far (both only grow).</summary>
internal readonly record struct StepUsage(long PeakMemoryBytes, long CpuNanoseconds)
{
    public StepUsage Max(StepUsage other) => new(Math.Max(PeakMemoryBytes, other.PeakMemoryBytes), Math.Max(CpuNanoseconds, other.CpuNanoseconds));
}
