using Pipeliner.Core.Planning;
using Pipeliner.Engine.Backends;
using Pipeliner.Engine.Execution;
using Pipeliner.Engine.Kubernetes;
using Pipeliner.Engine.Storage;
using Pipeliner.Engine.Workspaces;

namespace Pipeliner.Engine.Tests.Support.Kubernetes;

/// <summary>
/// The job runner with the Kubernetes backend against <see cref="FakeKubernetesApi"/>: runs one job of a pipeline
/// written in the test and gives its report and stored log.
/// </summary>
internal sealed class KubernetesJobHarness : IAsyncDisposable
{
    public static readonly WorkspaceFetch Fetch = new(
        new Uri("http://pipeliner.test:8080/api/agent/attempts/42/source.tar"),
        [new ArchiveDownload("dist/app.tar.gz", new Uri("http://pipeliner.test:8080/api/agent/attempts/42/artifacts/package/0"), new string('a', 64))],
        "attempt-credential-42");

    private readonly TempDirectory _data = new("kubernetes");

    private KubernetesJobHarness(FakeKubernetesApi api, KubernetesBackendOptions options, OwnerIdentity owner)
    {
        Api = api;
        Options = options;
        Layout = new DataLayout(_data.Path);
        Backend = new KubernetesBackend(new k8s.Kubernetes(api.Configuration()), options, api.Address.ToString(), owner);
        Runner = new JobRunner(Backend, Layout, new WorkspacePreparer(Layout), TimeProvider.System, new FixedWorkspaceSource(Fetch));
    }

    public FakeKubernetesApi Api { get; }
    public KubernetesBackendOptions Options { get; }
    public DataLayout Layout { get; }
    public KubernetesBackend Backend { get; }
    public JobRunner Runner { get; }

    public static readonly OwnerIdentity ThisAgent = new("agent-pod-7d9f", 1, 1000);

    public static async Task<KubernetesJobHarness> StartAsync(Func<KubernetesBackendOptions, KubernetesBackendOptions>? configure = null, OwnerIdentity? owner = null)
    {
        var options = new KubernetesBackendOptions { AgentName = "k8s-agent-1", Namespace = "ci-jobs", HelperImage = "pipeliner-test/busybox:latest" };
        return new KubernetesJobHarness(await FakeKubernetesApi.StartAsync(), configure?.Invoke(options) ?? options, owner ?? ThisAgent);
    }

    public static JobAssignment Assignment(string yaml, string job, IReadOnlyDictionary<string, string>? secrets = null, string runId = "17")
    {
        var run = Plans.Run(yaml, runId, project: "shop-api", commitSha: "4f2a9c1e0b7d3a5f6e8c9b0a1d2e3f4a5b6c7d8e");
        var planned = run.Plan.Jobs.Single(j => j.Id == job);
        return new JobAssignment
        {
            RunId = runId,
            Project = "shop-api",
            Repository = "https://git.example.com/shop/api.git",
            CommitSha = run.Plan.Context.CommitSha!,
            Job = planned,
            Attempt = 1,
            CacheScopes = CacheScopes.Local,
            Secrets = secrets ?? new Dictionary<string, string>(),
        };
    }

    public Task<JobAttemptReport> RunAsync(JobAssignment assignment, CancellationToken cancellationToken = default) =>
        Runner.RunAsync(assignment, onLine: null, cancellationToken);

    /// <summary>The stored log without timestamps.</summary>
    public static string[] LogText(JobAttemptReport report) =>
        File.ReadAllLines(report.LogPath).Select(l => l[(Pipeliner.Engine.Logging.JobLogWriter.TimestampLength + 1)..]).ToArray();

    public async ValueTask DisposeAsync()
    {
        await Backend.DisposeAsync();
        await Api.DisposeAsync();
        _data.Dispose();
    }

    private sealed class FixedWorkspaceSource(WorkspaceFetch fetch) : IRemoteWorkspaceSource
    {
        public Task<WorkspaceFetch> ResolveAsync(JobAssignment assignment, CancellationToken cancellationToken) => Task.FromResult(fetch);
    }
}
