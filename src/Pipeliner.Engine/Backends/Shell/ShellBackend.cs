using System.Collections.Concurrent;
using System.Diagnostics;
using System.Formats.Tar;

namespace Pipeliner.Engine.Backends.Shell;

/// <summary>
/// Runs the script as local processes in the workspace, for machines without Docker. Nothing is isolated:
/// the job runs as this user on this machine; images, services and resource limits are not available.
/// </summary>
public sealed class ShellBackend : IExecutionBackend
{
    private static readonly string[] InheritedVariables = ["PATH", "HOME", "USER", "LANG", "LC_ALL", "TMPDIR", "TERM"];
    private static readonly TimeSpan CpuSampleInterval = TimeSpan.FromMilliseconds(500);
    private readonly ConcurrentDictionary<(string Workflow, string Step), Process> _processes = new();

    public string Name => "shell";

    public Task CheckAvailableAsync(CancellationToken cancellationToken) =>
        File.Exists("/bin/sh")
            ? Task.CompletedTask
            : throw new BackendUnavailableException("the shell backend needs /bin/sh");

    public Task RemoveOrphansAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task SetupWorkflowAsync(WorkflowSpec workflow, CancellationToken cancellationToken)
    {
        if (workflow.Steps.Any(s => s.Kind == StepKind.Service))
            throw new StepStartException("services need the docker backend; the shell backend cannot start them");
        Directory.CreateDirectory(workflow.WorkspacePath);
        return Task.CompletedTask;
    }

    public Task StartStepAsync(WorkflowSpec workflow, StepSpec step, CancellationToken cancellationToken)
    {
        var key = (workflow.Id, step.Name);
        if (_processes.ContainsKey(key)) return Task.CompletedTask;
        var ownGroup = ProcessGroups.Available;
        var start = new ProcessStartInfo(ownGroup ? ProcessGroups.Setsid : step.Command[0])
        {
            WorkingDirectory = workflow.WorkspacePath,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        // setsid executes the command in place (this child leads no group yet): the process is the script itself.
        foreach (var argument in ownGroup ? step.Command : step.Command.Skip(1)) start.ArgumentList.Add(argument);
        start.Environment.Clear();
        foreach (var name in InheritedVariables)
        {
            if (Environment.GetEnvironmentVariable(name) is { } value) start.Environment[name] = value;
        }

        foreach (var (name, value) in step.Environment) start.Environment[name] = value;
        start.Environment["PIPELINER_WORKSPACE"] = workflow.WorkspacePath;
        start.Environment[MarkedProcesses.Variable] = Marker(workflow, step);
        var process = Process.Start(start) ?? throw new StepStartException($"cannot start {step.Command[0]}");
        process.StandardInput.Close();
        _processes[key] = process;
        return Task.CompletedTask;
    }

    public Task<Stream> TailStepAsync(WorkflowSpec workflow, StepSpec step, CancellationToken cancellationToken) =>
        Task.FromResult(ProcessOf(workflow, step).StandardOutput.BaseStream);

    public async Task<StepExit> WaitStepAsync(WorkflowSpec workflow, StepSpec step, CancellationToken cancellationToken)
    {
        var process = ProcessOf(workflow, step);
        long? cpu = null;
        var exited = process.WaitForExitAsync(cancellationToken);
        // CPU time is read while the process lives (its /proc entry goes when it is reaped): every half second.
        while (!exited.IsCompleted)
        {
            cpu = ProcessCpuTime.Milliseconds(process.Id) ?? cpu;
            await Task.WhenAny(exited, Task.Delay(CpuSampleInterval, cancellationToken));
        }

        await exited;
        // As when a container ends: what the script left running stops with it, which also ends its output.
        StopLeftovers(workflow, step, process.Id);
        return new StepExit(process.ExitCode, OutOfMemory: false, PeakMemoryBytes: null) { CpuTimeMs = cpu };
    }

    public async Task<Stream?> CopyFromStepAsync(WorkflowSpec workflow, StepSpec step, string path, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(Path.Combine(workflow.WorkspacePath, path));
        var name = Path.GetFileName(full.TrimEnd('/'));
        var archive = new MemoryStream();
        if (Directory.Exists(full))
        {
            await TarFile.CreateFromDirectoryAsync(full, archive, includeBaseDirectory: true, cancellationToken);
        }
        else if (File.Exists(full))
        {
            await using var writer = new TarWriter(archive, leaveOpen: true);
            await writer.WriteEntryAsync(full, name, cancellationToken);
        }
        else
        {
            return null;
        }

        archive.Position = 0;
        return archive;
    }

    public Task DestroyStepAsync(WorkflowSpec workflow, StepSpec step, CancellationToken cancellationToken)
    {
        if (!_processes.TryRemove((workflow.Id, step.Name), out var process)) return Task.CompletedTask;
        try
        {
            if (!process.HasExited) KillWithItsGroup(process);
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }

        process.Dispose();
        MarkedProcesses.Kill(Marker(workflow, step));
        return Task.CompletedTask;
    }

    public async Task DestroyWorkflowAsync(WorkflowSpec workflow, CancellationToken cancellationToken)
    {
        foreach (var step in workflow.Steps) await DestroyStepAsync(workflow, step, cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        foreach (var (key, process) in _processes)
        {
            try
            {
                if (!process.HasExited) KillWithItsGroup(process);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            process.Dispose();
            MarkedProcesses.Kill(Marker(key));
        }

        _processes.Clear();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Only while the script lives: its id cannot be another's then. Once it has exited, its group was stopped by
    /// <see cref="WaitStepAsync"/> and the id may since belong to another process.
    /// </summary>
    private static void KillWithItsGroup(Process process)
    {
        ProcessGroups.Kill(process.Id);
        process.Kill(entireProcessTree: true);
    }

    /// <summary>The script's group (its background jobs), then whatever left the group but still carries the step's marker.</summary>
    private static void StopLeftovers(WorkflowSpec workflow, StepSpec step, int scriptId)
    {
        ProcessGroups.Kill(scriptId);
        MarkedProcesses.Kill(Marker(workflow, step));
    }

    private static string Marker(WorkflowSpec workflow, StepSpec step) => Marker((workflow.Id, step.Name));

    private static string Marker((string Workflow, string Step) key) => $"{OwnerIdentity.Current}/{key.Workflow}/{key.Step}";

    private Process ProcessOf(WorkflowSpec workflow, StepSpec step) =>
        _processes.TryGetValue((workflow.Id, step.Name), out var process)
            ? process
            : throw new InvalidOperationException($"step '{step.Name}' of {workflow.Id} was not started");
}
