using System.Collections.Concurrent;
using System.Text;
using Pipeliner.Engine.Backends;

namespace Pipeliner.Engine.Tests.TestDoubles;

/// <summary>What one attempt of a job does on the <see cref="ScriptedBackend"/>.</summary>
internal sealed record ScriptedJob
{
    public int ExitCode { get; init; }
    public IReadOnlyList<string> Output { get; init; } = [];

    /// <summary>How long the script "runs"; cancelling the wait ends it early.</summary>
    public TimeSpan Delay { get; init; }

    public bool OutOfMemory { get; init; }
    public long? PeakMemoryBytes { get; init; }

    /// <summary>Thrown by StartStep: an infrastructure fault.</summary>
    public Exception? StartFault { get; init; }

    public static ScriptedJob Succeeds(params string[] output) => new() { Output = output };

    public static ScriptedJob Fails(int exitCode = 1, params string[] output) => new() { ExitCode = exitCode, Output = output };

    public static ScriptedJob Sleeps(TimeSpan delay) => new() { Delay = delay };
}

/// <summary>One call the runner made on the backend.</summary>
internal sealed record BackendCall(string Method, string Workflow, string Job, int Attempt, string? Step);

/// <summary>
/// A fake backend for fast executor tests: each job's attempts follow a script (exit code, output, delay, OOM),
/// and every call is recorded, so tests can check that cleanup ran exactly once per attempt and how many
/// steps ran at the same time.
/// </summary>
internal sealed class ScriptedBackend : IExecutionBackend
{
    private readonly ConcurrentDictionary<string, Func<int, ScriptedJob>> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<BackendCall> _calls = new();
    private readonly ConcurrentDictionary<(string Workflow, string Step), bool> _started = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _attemptOfWorkflow = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _attemptsOfJob = new(StringComparer.Ordinal);
    private int _running;
    private TaskCompletionSource? _destroysHeld;

    public string Name => "scripted";

    /// <summary>The largest number of scripts that were running (started, not yet ended or destroyed) at once.</summary>
    public int MaxConcurrent { get; private set; }

    public IReadOnlyList<BackendCall> Calls => _calls.ToList();

    /// <summary>Every attempt that reached the backend, as (job, attempt), in the order they were set up.</summary>
    public IReadOnlyList<(string Job, int Attempt)> Attempts =>
        Calls.Where(c => c.Method == nameof(SetupWorkflowAsync)).Select(c => (c.Job, c.Attempt)).ToList();

    /// <summary>Raised when a script step starts, with the job id.</summary>
    public event Action<string>? ScriptStarted;

    public ScriptedBackend Job(string jobId, ScriptedJob script) => Job(jobId, _ => script);

    /// <summary>Scripts a job per attempt number (1, 2, ...).</summary>
    public ScriptedBackend Job(string jobId, Func<int, ScriptedJob> byAttempt)
    {
        _jobs[jobId] = byAttempt;
        return this;
    }

    public int CountCalls(string method, string job, int attempt, string? step = null) =>
        Calls.Count(c => c.Method == method && c.Job == job && c.Attempt == attempt && (step is null || c.Step == step));

    public Task CheckAvailableAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task RemoveOrphansAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task SetupWorkflowAsync(WorkflowSpec workflow, CancellationToken cancellationToken)
    {
        Record(nameof(SetupWorkflowAsync), workflow, null);
        return Task.CompletedTask;
    }

    public Task StartStepAsync(WorkflowSpec workflow, StepSpec step, CancellationToken cancellationToken)
    {
        Record(nameof(StartStepAsync), workflow, step);
        var script = ScriptOf(workflow);
        if (script.StartFault is { } fault) throw fault;
        if (!_started.TryAdd((workflow.Id, step.Name), true) || step.Kind != StepKind.Script) return Task.CompletedTask;
        lock (_gate)
        {
            _running++;
            MaxConcurrent = Math.Max(MaxConcurrent, _running);
        }

        ScriptStarted?.Invoke(workflow.JobId);
        return Task.CompletedTask;
    }

    public Task<Stream> TailStepAsync(WorkflowSpec workflow, StepSpec step, CancellationToken cancellationToken)
    {
        Record(nameof(TailStepAsync), workflow, step);
        var output = step.Kind == StepKind.Script ? ScriptOf(workflow).Output : [];
        var text = string.Concat(output.Select(line => line + "\n"));
        return Task.FromResult<Stream>(new MemoryStream(Encoding.UTF8.GetBytes(text)));
    }

    public async Task<StepExit> WaitStepAsync(WorkflowSpec workflow, StepSpec step, CancellationToken cancellationToken)
    {
        Record(nameof(WaitStepAsync), workflow, step);
        var script = ScriptOf(workflow);
        try
        {
            await Task.Delay(script.Delay, cancellationToken);
            return new StepExit(script.OutOfMemory ? 137 : script.ExitCode, script.OutOfMemory, script.PeakMemoryBytes);
        }
        finally
        {
            Ended(workflow, step);
        }
    }

    public Task<Stream?> CopyFromStepAsync(WorkflowSpec workflow, StepSpec step, string path, CancellationToken cancellationToken)
    {
        Record(nameof(CopyFromStepAsync), workflow, step);
        return Task.FromResult<Stream?>(null);
    }

    public async Task DestroyStepAsync(WorkflowSpec workflow, StepSpec step, CancellationToken cancellationToken)
    {
        Record(nameof(DestroyStepAsync), workflow, step);
        Ended(workflow, step);
        if (_destroysHeld is { } held) await held.Task.WaitAsync(cancellationToken);
    }

    public Task DestroyWorkflowAsync(WorkflowSpec workflow, CancellationToken cancellationToken)
    {
        Record(nameof(DestroyWorkflowAsync), workflow, null);
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Blocks every DestroyStep call until the returned source is completed (to observe what runs meanwhile).</summary>
    public TaskCompletionSource HoldDestroys() => _destroysHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Ended(WorkflowSpec workflow, StepSpec step)
    {
        if (_started.TryRemove((workflow.Id, step.Name), out _) && step.Kind == StepKind.Script)
        {
            lock (_gate) _running--;
        }
    }

    private ScriptedJob ScriptOf(WorkflowSpec workflow) =>
        _jobs.TryGetValue(workflow.JobId, out var script) ? script(AttemptOf(workflow)) : ScriptedJob.Succeeds();

    private void Record(string method, WorkflowSpec workflow, StepSpec? step) =>
        _calls.Enqueue(new BackendCall(method, workflow.Id, workflow.JobId, AttemptOf(workflow), step?.Name));

    /// <summary>A job's attempts run one after another: the n-th workflow of a job is its attempt n.</summary>
    private int AttemptOf(WorkflowSpec workflow)
    {
        lock (_gate)
        {
            if (_attemptOfWorkflow.TryGetValue(workflow.Id, out var attempt)) return attempt;
            attempt = _attemptsOfJob.GetValueOrDefault(workflow.JobId) + 1;
            _attemptsOfJob[workflow.JobId] = attempt;
            _attemptOfWorkflow[workflow.Id] = attempt;
            return attempt;
        }
    }
}
