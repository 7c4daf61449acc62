using System.Collections.Concurrent;
using Pipeliner.Engine.Storage;

namespace Pipeliner.Engine.Workspaces;

/// <summary>
/// Makes a job attempt's workspace: a fresh checkout of the run's commit, then the artifacts of the jobs it
/// needs and its cache restored into it.
/// </summary>
/// <param name="layout">The data directory.</param>
/// <param name="copyRunCheckout">
/// Check the commit out once per run (under the run's workspace folder, which the caller removes when the run
/// ends) and give each job a copy of that checkout: the same pristine tree, at a fraction of a checkout's cost.
/// </param>
/// <param name="credentials">Where a project's repository credentials are kept (the server's vault); null: none are used.</param>
public sealed class WorkspacePreparer(DataLayout layout, bool copyRunCheckout = false, IRepositoryCredentialSource? credentials = null)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _mirrorLocks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task>> _runCheckouts = new(StringComparer.Ordinal);

    /// <summary>The project's mirror, for reading what it holds (no credentials: it is not fetched).</summary>
    public GitRepositoryMirror Mirror(string project, string source) => new(source, layout.Mirror(project), project: project);

    /// <summary>Clones or fetches the project's mirror, one update of a mirror at a time.</summary>
    public async Task<GitRepositoryMirror> UpdateAsync(string project, string source, CancellationToken cancellationToken)
    {
        var mirror = await RemoteMirrorAsync(project, source, cancellationToken);
        var gate = _mirrorLocks.GetOrAdd(mirror.MirrorPath, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            await Task.Run(() => UpdateAndCompact(mirror), cancellationToken);
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
            if (HasCommit(mirror, commitSha)) return mirror;
            // Only a fetch needs the credentials: a job whose commit the run already fetched never reads them.
            mirror = await RemoteMirrorAsync(project, source, cancellationToken);
            // A push names the branch or tag that holds its commit: that one ref is fetched first. The whole mirror's
            // fetch lists, compares and prunes every branch and tag, a cost per push that grows with the repository's refs.
            if (await Task.Run(() => mirror.TryFetchBranchOrTag(extraRef) && HasCommit(mirror, commitSha), cancellationToken))
            {
                await Task.Run(() => Compact(mirror), cancellationToken);
                return mirror;
            }

            await Task.Run(() => UpdateAndCompact(mirror), cancellationToken);
            if (!HasCommit(mirror, commitSha) && extraRef is not null) await Task.Run(() => mirror.Fetch(extraRef), cancellationToken);
            return mirror;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Fetches, then packs the mirror's many small object files if it has collected many (every job's checkout copies them).
    /// The packing only saves work: a mirror it cannot pack stays as it is.
    /// </summary>
    private static void UpdateAndCompact(GitRepositoryMirror mirror)
    {
        mirror.Update();
        Compact(mirror);
    }

    private static void Compact(GitRepositoryMirror mirror)
    {
        try
        {
            mirror.Compact();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or LibGit2Sharp.LibGit2SharpException)
        {
            // Checkouts copy the files as they are (or fetch the commit when a file went missing under them).
        }
    }

    private async Task<GitRepositoryMirror> RemoteMirrorAsync(string project, string source, CancellationToken cancellationToken) =>
        new(source, layout.Mirror(project), credentials is null ? null : await credentials.ForProjectAsync(project, cancellationToken), project);

    /// <summary>A pristine tree of <paramref name="commitSha"/> at <paramref name="directory"/>, plus <paramref name="restore"/>.</summary>
    public async Task<string> PrepareAsync(
        GitRepositoryMirror mirror, string runId, string commitSha, string directory,
        IEnumerable<ArchiveFolder> restore, CancellationToken cancellationToken)
    {
        if (copyRunCheckout)
        {
            var checkout = await RunCheckoutAsync(mirror, runId, commitSha, cancellationToken);
            await Task.Run(() =>
            {
                if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
                TreeCopy.Copy(checkout, directory);
            }, cancellationToken);
        }
        else
        {
            await Task.Run(() => mirror.CheckOut(commitSha, directory), cancellationToken);
        }

        foreach (var archives in restore) await archives.RestoreAsync(directory, cancellationToken);
        return directory;
    }

    /// <summary>The run's one checkout of the commit, made by the first job that asks; no job ever works in it.</summary>
    private async Task<string> RunCheckoutAsync(GitRepositoryMirror mirror, string runId, string commitSha, CancellationToken cancellationToken)
    {
        var path = layout.RunCheckout(runId, commitSha);
        var made = _runCheckouts.GetOrAdd(path, _ => new Lazy<Task>(() => Task.Run(() =>
        {
            // Checked out beside and renamed into place: a checkout cut short is never taken for a whole one.
            var partial = $"{path}.{Guid.NewGuid():N}.partial";
            mirror.CheckOut(commitSha, partial);
            Directory.Move(partial, path);
        }, CancellationToken.None)));
        try
        {
            await made.Value.WaitAsync(cancellationToken);
        }
        catch (Exception) when (made.Value.IsFaulted)
        {
            _runCheckouts.TryRemove(new KeyValuePair<string, Lazy<Task>>(path, made));
            throw;
        }

        return path;
    }

    private static bool HasCommit(GitRepositoryMirror mirror, string commitSha) => mirror.Holds(commitSha);
}
