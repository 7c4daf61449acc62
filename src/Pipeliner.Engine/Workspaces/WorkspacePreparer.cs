using System.Collections.Concurrent;
using Pipeliner.Engine.Storage;

namespace Pipeliner.Engine.Workspaces;

/// <summary>
/// Makes a job attempt's workspace: a fresh checkout of the run's commit, then the artifacts of the jobs it
/// needs and its cache restored into it.
/// </summary>
public sealed class WorkspacePreparer(DataLayout layout)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _mirrorLocks = new(StringComparer.Ordinal);

    public GitRepositoryMirror Mirror(string project, string source) => new(source, layout.Mirror(project));

    /// <summary>Clones or fetches the project's mirror, one update of a mirror at a time.</summary>
    public async Task<GitRepositoryMirror> UpdateAsync(string project, string source, CancellationToken cancellationToken)
    {
        var mirror = Mirror(project, source);
        var gate = _mirrorLocks.GetOrAdd(mirror.MirrorPath, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            await Task.Run(mirror.Update, cancellationToken);
            return mirror;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Updates the project's mirror unless it already holds <paramref name="commitSha"/>.</summary>
    /// <param name="extraRef">A ref that holds the commit when no branch or tag does (a pull request head).</param>
    public async Task<GitRepositoryMirror> EnsureCommitAsync(
        string project, string source, string commitSha, CancellationToken cancellationToken, string? extraRef = null)
    {
        var mirror = Mirror(project, source);
        var gate = _mirrorLocks.GetOrAdd(mirror.MirrorPath, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (!HasCommit(mirror, commitSha)) await Task.Run(mirror.Update, cancellationToken);
            if (!HasCommit(mirror, commitSha) && extraRef is not null) await Task.Run(() => mirror.Fetch(extraRef), cancellationToken);
            return mirror;
        }
        finally
        {
            gate.Release();
        }
    }

    public async Task<string> PrepareAsync(
        GitRepositoryMirror mirror, string commitSha, string directory,
        IEnumerable<ArchiveFolder> restore, CancellationToken cancellationToken)
    {
        await Task.Run(() => mirror.CheckOut(commitSha, directory), cancellationToken);
        foreach (var archives in restore) await archives.RestoreAsync(directory, cancellationToken);
        return directory;
    }

    private static bool HasCommit(GitRepositoryMirror mirror, string commitSha)
    {
        try
        {
            return LibGit2Sharp.Repository.IsValid(mirror.MirrorPath) && mirror.ResolveCommit(commitSha).StartsWith(commitSha, StringComparison.OrdinalIgnoreCase);
        }
        catch (WorkspaceException)
        {
            return false;
        }
    }
}
