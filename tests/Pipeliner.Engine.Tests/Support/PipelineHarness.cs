using Pipeliner.Core.Planning;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Backends;
using Pipeliner.Engine.Backends.Docker;
using Pipeliner.Engine.Backends.Shell;
using Pipeliner.Engine.Execution;
using Pipeliner.Engine.Logging;
using Pipeliner.Engine.Storage;
using Pipeliner.Engine.Workspaces;

namespace Pipeliner.Engine.Tests.Support;

/// <summary>
/// Runs pipelines the way <c>pipeliner run</c> does, minus the console: a real git repository, a data directory,
/// a backend, the executor. Each run gets a unique id, so the containers of a test are found by its run label.
/// </summary>
internal sealed class PipelineHarness : IAsyncDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    private readonly TempDirectory _data = new("data");

    private PipelineHarness(IExecutionBackend backend)
    {
        Backend = backend;
        Layout = new DataLayout(_data.Path);
        Records = new RunRecordStore(Layout);
    }

    public static PipelineHarness OnDocker(DockerEngineFixture engine) => new(new DockerBackend(engine.Endpoint));

    public static PipelineHarness OnShell() => new(new ShellBackend());

    public static PipelineHarness On(IExecutionBackend backend) => new(backend);

    public TestRepository Repository { get; } = new();
    public IExecutionBackend Backend { get; }
    public DataLayout Layout { get; }
    public RunRecordStore Records { get; }
    public string Project { get; } = "project-" + Guid.NewGuid().ToString("N")[..8];
    public RecordingObserver Observer { get; private set; } = new();

    /// <summary>Commits <paramref name="yaml"/> as the pipeline (unless a commit is given) and runs it to the end.</summary>
    public async Task<Run> RunAsync(
        string yaml, RunOptions? options = null, CancellationToken cancellationToken = default, string? commitSha = null, string? runId = null)
    {
        var commit = commitSha ?? Repository.CommitPipeline(yaml);
        runId ??= Plans.NewRunId();
        var plan = PipelinePlanner.Plan(Plans.Load(yaml), Plans.Push(runId, Project, commit));
        var run = new Run(runId, plan, TimeProvider.System.GetUtcNow());
        Observer = new RecordingObserver(Records, Project);
        // Jobs copy the run's one checkout, as with pipeliner run (the server checks out per job).
        var executor = new RunExecutor(new JobRunner(Backend, Layout, new WorkspacePreparer(Layout, copyRunCheckout: true), TimeProvider.System),
            Observer, TimeProvider.System);
        // A hang must fail the test, not stall the suite.
        await executor.ExecuteAsync(run, Project, Repository.Path, commit, options ?? new RunOptions(), cancellationToken)
            .WaitAsync(RunTimeout, CancellationToken.None);
        return run;
    }

    /// <summary>The stored log of an attempt, line by line, timestamps included.</summary>
    public string[] StoredLog(Run run, string jobId, int attempt = 1) => File.ReadAllLines(Layout.JobLog(run.Id, jobId, attempt));

    /// <summary>The stored log of an attempt without the timestamps.</summary>
    public string[] LogText(Run run, string jobId, int attempt = 1) =>
        StoredLog(run, jobId, attempt).Select(l => l[(JobLogWriter.TimestampLength + 1)..]).ToArray();

    /// <summary>The lines the script printed: the log minus Pipeliner's own lines.</summary>
    public string[] ScriptOutput(Run run, string jobId, int attempt = 1) =>
        LogText(run, jobId, attempt).Where(l => !l.StartsWith("pipeliner: ", StringComparison.Ordinal)).ToArray();

    public async ValueTask DisposeAsync()
    {
        await Backend.DisposeAsync();
        Repository.Dispose();
        _data.Dispose();
    }
}
