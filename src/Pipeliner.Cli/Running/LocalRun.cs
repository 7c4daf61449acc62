using Pipeliner.Core;
using Pipeliner.Core.Model;
using Pipeliner.Core.Planning;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Backends;
using Pipeliner.Engine.Backends.Docker;
using Pipeliner.Engine.Backends.Shell;
using Pipeliner.Engine.Execution;
using Pipeliner.Engine.Storage;
using Pipeliner.Engine.Workspaces;

namespace Pipeliner.Cli.Running;

/// <summary>
/// <c>pipeliner run</c>: plans the pipeline at a commit of a repository and runs it on this machine, printing
/// live logs and a summary. Exit codes: 0 succeeded, 1 failed, 2 invalid pipeline or infrastructure fault,
/// 130 interrupted.
/// </summary>
internal sealed class LocalRun(CliConsole console, TimeProvider time)
{
    public const int Interrupted = 130;

    public async Task<int> ExecuteAsync(RunRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync(request, cancellationToken);
        }
        catch (Exception e) when (e is UsageException or WorkspaceException or BackendUnavailableException or FormatException)
        {
            console.Error.WriteLine($"pipeliner: {e.Message}");
            return ExitCodes.Error;
        }
        catch (Exception e) when (e is Docker.DotNet.DockerApiException or HttpRequestException or IOException)
        {
            console.Error.WriteLine($"pipeliner: infrastructure error: {e.Message.Split('\n')[0]}");
            return ExitCodes.Error;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Interrupted while preparing (engine check, orphan removal): no job ran, nothing to clean up.
            return Interrupted;
        }
    }

    private async Task<int> RunAsync(RunRequest request, CancellationToken cancellationToken)
    {
        await using var backend = CreateBackend(request.Backend);
        // The engine is asked while the repository is read and the pipeline loaded; a pipeline error is still
        // reported first, as before.
        var available = backend.CheckAvailableAsync(cancellationToken);
        // A run that ends before it needs the engine neither waits for the check nor leaves its failure unobserved.
        _ = available.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        return await RunAsync(request, backend, available, cancellationToken);
    }

    private async Task<int> RunAsync(RunRequest request, IExecutionBackend backend, Task available, CancellationToken cancellationToken)
    {
        var source = RunSource.Resolve(request);
        var layout = new DataLayout(request.DataDirectory ?? source.DefaultDataDirectory);
        PrepareDataDirectory(layout);
        var workspaces = new WorkspacePreparer(layout);
        var mirror = workspaces.Mirror(source.Project, source.Location);
        mirror.Update();
        var commit = source.CommitSha ?? mirror.ResolveCommit(request.Commit);
        if (source.HasUncommittedChanges)
            console.Error.WriteLine("pipeliner: note: uncommitted changes are not part of the run; it runs commit " + commit[..12]);

        var pipeline = LoadPipeline(request, mirror, commit);
        if (pipeline is null) return ExitCodes.Error;

        var records = new RunRecordStore(layout);
        var context = new TriggerContext
        {
            Event = request.Event,
            Branch = request.Event == EventKind.Tag ? null : request.Branch ?? source.Branch,
            Tag = request.Tag,
            Project = source.Project,
            CommitSha = commit,
        };
        if (EventMatcher.WhyNotTriggered(pipeline.Triggers, context) is { } whyNot)
        {
            console.Out.WriteLine($"pipeliner: no run: {whyNot}");
            return ExitCodes.Success;
        }

        var unknownJobs = request.Jobs.Where(n => !pipeline.Jobs.Any(j => j.Id == n || j.Name == n)).ToList();
        if (unknownJobs.Count > 0)
            throw new UsageException($"--job: no job named {string.Join(", ", unknownJobs.Select(u => $"'{u}'"))}");

        var secrets = SecretInputs.Collect(request.Secrets, request.SecretsFile);
        await available;
        var janitor = new WorkspaceJanitor(layout);
        janitor.RemoveOrphans();
        foreach (var interrupted in await records.MarkInterruptedAsync(time, cancellationToken))
            console.Error.WriteLine($"pipeliner: note: run {interrupted.Id} never finished (its process died); recorded as interrupted");

        var runId = records.ReserveRunId();
        var plan = PipelinePlanner.Plan(pipeline, context with { RunId = runId });
        if (request.Jobs.Count > 0) plan = PlanSelection.Select(plan, request.Jobs, out _)!;
        var run = new Run(runId, plan, time.GetUtcNow());
        console.Out.WriteLine($"pipeliner: run {runId} of {source.Project} at {commit[..12]} ({context.Event.ToName()}" +
                              $"{(context.Branch is null ? "" : " on " + context.Branch)}{(context.Tag is null ? "" : " tag " + context.Tag)}), " +
                              $"{plan.Jobs.Count} job(s), backend {backend.Name}, data in {layout.Root}");

        using var observer = new ConsoleRunObserver(console, records, source.Project);
        // Every job copies the run's one checkout; the run's workspace folder, the checkout with it, goes when the run ends.
        var executor = new RunExecutor(new JobRunner(backend, layout, new WorkspacePreparer(layout, copyRunCheckout: true), time), observer, time);
        var options = new RunOptions
        {
            Parallel = request.Parallel,
            Approved = request.Approve.ToHashSet(StringComparer.Ordinal),
            Secrets = secrets,
        };
        janitor.Claim(runId);
        // Leftovers of dead processes are removed while the jobs run: the sweep skips containers of live owners,
        // this process among them, so it never touches this run.
        var sweep = RemoveOrphansAsync(backend, cancellationToken);
        try
        {
            await executor.ExecuteAsync(run, source.Project, source.Location, commit, options, cancellationToken);
        }
        finally
        {
            janitor.Release(runId);
            await sweep;
        }

        observer.Dispose();
        RunSummary.Write(console.Out, run, console.IsTerminal);
        console.Out.Flush();
        return run.Status switch
        {
            _ when cancellationToken.IsCancellationRequested => Interrupted,
            RunStatus.Succeeded or RunStatus.Waiting => ExitCodes.Success,
            _ => ExitCodes.Failure,
        };
    }

    private Pipeline? LoadPipeline(RunRequest request, GitRepositoryMirror mirror, string commit)
    {
        string? text;
        string name;
        if (request.File is { } file)
        {
            name = file;
            text = PipelineFile.TryRead(file, out var error);
            if (text is null) throw new UsageException(error!);
        }
        else
        {
            name = PipelineFile.DefaultName;
            text = mirror.ReadFile(commit, PipelineFile.DefaultName)
                   ?? throw new UsageException($"no {PipelineFile.DefaultName} at commit {commit[..12]} (commit one, or pass --file)");
        }

        var loaded = PipelineLoader.Load(text);
        if (loaded.Pipeline is null) DiagnosticPrinter.Print(console.Error, name, loaded.Diagnostics);
        return loaded.Pipeline;
    }

    private async Task RemoveOrphansAsync(IExecutionBackend backend, CancellationToken cancellationToken)
    {
        try
        {
            await backend.RemoveOrphansAsync(cancellationToken);
        }
        catch (Exception e) when (e is Docker.DotNet.DockerApiException or HttpRequestException or IOException or OperationCanceledException)
        {
            // Leftovers are not this run's: failing to remove them must not fail it; the next start tries again.
            if (!cancellationToken.IsCancellationRequested)
                console.Error.WriteLine($"pipeliner: warning: leftovers of earlier runs not removed: {e.Message.Split('\n')[0]}");
        }
    }

    private IExecutionBackend CreateBackend(string name)
    {
        switch (name)
        {
            case "docker":
                return new DockerBackend(shellBackendSetting: "--backend shell");
            case "shell":
                console.Error.WriteLine("pipeliner: shell backend: jobs run unisolated, as this user, on this machine (no images, services or limits)");
                return new ShellBackend();
            default:
                throw new UsageException($"--backend: unknown backend '{name}' (docker or shell)");
        }
    }

    private static void PrepareDataDirectory(DataLayout layout)
    {
        Directory.CreateDirectory(layout.Root);
        // Keep run data out of the repository's status when the data directory lives inside it.
        var ignore = Path.Combine(layout.Root, ".gitignore");
        if (!File.Exists(ignore)) File.WriteAllText(ignore, "*\n");
    }
}
