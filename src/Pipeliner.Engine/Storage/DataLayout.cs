using System.Globalization;

namespace Pipeliner.Engine.Storage;

/// <summary>
/// Where everything lives under one data directory; the CLI and the server share this layout.
/// <code>
/// runs/{run}/run.json                       the run record
/// runs/{run}/logs/{job}/{attempt}.log       one append-only log per attempt
/// runs/{run}/logs/{job}/{attempt}.{service}.service.log
/// runs/{run}/artifacts/{job}/               archives and manifest.json
/// runs/{run}/reports/{job}/{attempt}/       the attempt's test and static analysis report files (one archive)
/// cache/{project}/{scope}/{key}/            archives and manifest.json, per cache scope (branch, pull request…)
/// repos/{project}.git                       bare mirror of the repository
/// workspaces/{run}/{job}-{attempt}/         a job attempt's checkout, removed when it ends
/// workspaces/{run}/.checkout/{commit}/      the run's checkout jobs copy (pipeliner run), removed with the run
/// </code>
/// </summary>
public sealed class DataLayout(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    public string RunsDirectory => Path.Combine(Root, "runs");

    public string RunDirectory(string runId) => Path.Combine(RunsDirectory, PathSlug.For(runId));

    public string RunRecord(string runId) => Path.Combine(RunDirectory(runId), "run.json");

    public string JobLog(string runId, string jobId, int attempt) =>
        Path.Combine(RunDirectory(runId), "logs", PathSlug.For(jobId), $"{attempt.ToString(CultureInfo.InvariantCulture)}.log");

    public string ServiceLog(string runId, string jobId, int attempt, string service) =>
        Path.Combine(RunDirectory(runId), "logs", PathSlug.For(jobId),
            $"{attempt.ToString(CultureInfo.InvariantCulture)}.{PathSlug.For(service)}.service.log");

    public string Artifacts(string runId, string jobId) => Path.Combine(RunDirectory(runId), "artifacts", PathSlug.For(jobId));

    public string Reports(string runId, string jobId, int attempt) =>
        Path.Combine(RunDirectory(runId), "reports", PathSlug.For(jobId), attempt.ToString(CultureInfo.InvariantCulture));

    public string Cache(string project, string scope, string key) =>
        Path.Combine(Root, "cache", PathSlug.For(project), PathSlug.For(scope), PathSlug.For(key));

    public string Mirror(string project) => Path.Combine(Root, "repos", PathSlug.For(project) + ".git");

    public string WorkspacesDirectory => Path.Combine(Root, "workspaces");

    public string Workspace(string runId, string jobId, int attempt) =>
        Path.Combine(WorkspacesDirectory, PathSlug.For(runId), $"{PathSlug.For(jobId)}-{attempt.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>The run's one checkout of a commit; job folders are named <c>{job}-{attempt}</c>, never <c>.checkout</c>.</summary>
    public string RunCheckout(string runId, string commitSha) =>
        Path.Combine(WorkspacesDirectory, PathSlug.For(runId), ".checkout", PathSlug.For(commitSha));

    /// <summary>The path of <paramref name="absolutePath"/> relative to the data directory, with '/' separators.</summary>
    public string Relative(string absolutePath) => Path.GetRelativePath(Root, absolutePath).Replace('\\', '/');
}
