using System.Globalization;
using Pipeliner.Core.Model;
using Pipeliner.Engine.Execution;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Runs;

/// <summary>
/// The cache scopes of a run's jobs, from what the server knows of the run's trust (as GitHub Actions and GitLab scope
/// caches): a run saves only to the scope of its own branch, tag or pull request, and restores its own scope first,
/// then, for a pull request, its target branch's, then the default branch's. A pull request from a fork (or from a
/// repository the forge did not name) saves to a scope of its own that no other run reads: it may use the trusted
/// caches, but what it saves never reaches a trusted run.
/// </summary>
public static class RunCacheScopes
{
    public static CacheScopes For(RunEntity run, string defaultBranch)
    {
        var own = OwnScope(run);
        var restore = new List<string> { own };
        if (IsPullRequest(run) && run.Branch is { } target) restore.Add(BranchScope(target));
        restore.Add(BranchScope(defaultBranch));
        return new CacheScopes(restore.Distinct(StringComparer.Ordinal).ToList(), own);
    }

    /// <summary>Git refuses ':' and spaces in ref names, and each kind has its own prefix, so no two refs share a scope.</summary>
    private static string OwnScope(RunEntity run)
    {
        if (IsPullRequest(run))
        {
            var number = run.PullRequestNumber is { } n ? n.ToString(CultureInfo.InvariantCulture) : $"run-{run.Id.ToString(CultureInfo.InvariantCulture)}";
            return run.FromFork ? $"fork/pull/{number}" : $"pull/{number}";
        }

        if (run.Tag is { } tag) return $"tag/{tag}";
        return run.Branch is { } branch ? BranchScope(branch) : $"run/{run.Id.ToString(CultureInfo.InvariantCulture)}";
    }

    private static string BranchScope(string branch) => $"branch/{branch}";

    private static bool IsPullRequest(RunEntity run) => run.Event == EventKind.PullRequest.ToName() || run.FromFork;
}
