using LibGit2Sharp;
using LibGit2Sharp.Handlers;

namespace Pipeliner.Engine.Workspaces;

/// <summary>
/// A bare mirror of a project's repository (a local path or a URL), cloned once and fetched incrementally.
/// Jobs check out from it, so the source is read once per run however many jobs there are. HTTP(S), git:// and local
/// repositories are read with LibGit2Sharp (with the project's user name and password, if any); SSH ones with the git
/// command line (<see cref="SshGitClient"/>). Credentials are given per call and never written into the mirror.
/// </summary>
/// <param name="project">Named in error messages; null when the mirror is not a project's (the command line's runs).</param>
public sealed class GitRepositoryMirror(string source, string mirrorPath, RepositoryCredentials? credentials = null, string? project = null)
{
    private static readonly string[] MirrorRefSpecs = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"];

    /// <summary>The one ref a job's working copy holds: the commit it was checked out at.</summary>
    private const string CheckedOutRef = "refs/pipeliner/checkout";

    public string Source { get; } = source;
    public string MirrorPath { get; } = mirrorPath;

    /// <summary>Clones the mirror if missing, otherwise fetches every branch and tag.</summary>
    public void Update() => Remote($"cannot read the repository {Describe()}", () =>
    {
        if (!Repository.IsValid(MirrorPath))
        {
            if (Directory.Exists(MirrorPath)) Directory.Delete(MirrorPath, recursive: true);
            Directory.CreateDirectory(Path.GetDirectoryName(MirrorPath)!);
            if (Ssh is { } ssh) ssh.Clone(MirrorPath);
            else Repository.Clone(Source, MirrorPath, new CloneOptions(new FetchOptions { CredentialsProvider = Credentials() }) { IsBare = true });
        }

        FetchRefs(MirrorRefSpecs, prune: true);
    });

    /// <summary>
    /// Fetches one branch or tag (<c>refs/heads/…</c>, <c>refs/tags/…</c>) of a mirror that exists into the same name, as
    /// <see cref="Update"/> would, without listing, comparing and pruning every other branch and tag. False when
    /// <paramref name="reference"/> is no branch or tag, the mirror is not cloned yet, or the fetch failed (the caller then
    /// updates the whole mirror).
    /// </summary>
    public bool TryFetchBranchOrTag(string? reference)
    {
        if (reference is null || !(reference.StartsWith("refs/heads/", StringComparison.Ordinal) || reference.StartsWith("refs/tags/", StringComparison.Ordinal))
            || reference.Contains('*', StringComparison.Ordinal) || reference.Contains(':', StringComparison.Ordinal) || !Repository.IsValid(MirrorPath))
            return false;
        try
        {
            Remote($"cannot fetch '{reference}' from {Describe()}", () => FetchRefs([$"+{reference}:{reference}"], prune: false));
            return true;
        }
        catch (WorkspaceException)
        {
            return false;
        }
    }

    /// <summary>Fetches one more ref into the mirror (kept under refs/pipeliner/ so that branch fetches never prune it).</summary>
    public void Fetch(string reference)
    {
        var local = "refs/pipeliner/" + reference.Replace("refs/", "", StringComparison.Ordinal);
        Remote($"cannot fetch '{reference}' from {Describe()}", () => FetchRefs([$"+{reference}:{local}"], prune: false));
    }

    /// <summary>The full commit id that <paramref name="reference"/> (sha, branch, tag) names in the mirror.</summary>
    public string ResolveCommit(string reference)
    {
        try
        {
            using var repository = new Repository(MirrorPath);
            return Resolve(repository, reference).Sha;
        }
        catch (Exception e) when (e is LibGit2SharpException or ArgumentException)
        {
            throw new WorkspaceException($"no commit '{reference}' in {Describe()}: {e.Message}", e);
        }
    }

    private Commit Resolve(Repository repository, string reference) =>
        repository.Lookup<Commit>(reference)
        ?? repository.Lookup<Commit>($"refs/heads/{reference}")
        ?? repository.Lookup<Commit>($"refs/tags/{reference}")
        ?? throw new WorkspaceException($"no commit '{reference}' in {Describe()}");

    /// <summary>
    /// The full id of the commit <paramref name="reference"/> (sha, branch, tag) names, and what
    /// <see cref="ReadFile(string, string, long)"/> says of <paramref name="path"/> there: one opening of the mirror
    /// (each reads git's configuration files again) where the two would take two.
    /// </summary>
    public (string Commit, string? Text, long Size) ReadFileAt(string reference, string path, long maxBytes)
    {
        try
        {
            using var repository = new Repository(MirrorPath);
            var commit = Resolve(repository, reference);
            if (commit[path]?.Target is not Blob blob) return (commit.Sha, null, 0);
            var size = blob.Size;
            return size > maxBytes ? (commit.Sha, null, size) : (commit.Sha, blob.GetContentText(), size);
        }
        catch (Exception e) when (e is LibGit2SharpException or ArgumentException)
        {
            throw new WorkspaceException($"no commit '{reference}' in {Describe()}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Whether the mirror exists and holds <paramref name="commitSha"/> (a full or abbreviated id), opening it once: a
    /// mirror not cloned yet, or one a clone cut short left behind, holds nothing.
    /// </summary>
    public bool Holds(string commitSha)
    {
        if (!Directory.Exists(MirrorPath)) return false;
        try
        {
            using var repository = new Repository(MirrorPath);
            return repository.Lookup<Commit>(commitSha) is { } commit && commit.Sha.StartsWith(commitSha, StringComparison.OrdinalIgnoreCase);
        }
        catch (Exception e) when (e is LibGit2SharpException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The text of <paramref name="path"/> at <paramref name="commitSha"/>, or null when the file is not there.</summary>
    public string? ReadFile(string commitSha, string path) => ReadFile(commitSha, path, long.MaxValue).Text;

    /// <summary>
    /// The text of <paramref name="path"/> at <paramref name="commitSha"/> (null when the file is not there), unless it
    /// has more than <paramref name="maxBytes"/>: then only its size, the blob's header read, never its content.
    /// </summary>
    public (string? Text, long Size) ReadFile(string commitSha, string path, long maxBytes)
    {
        using var repository = new Repository(MirrorPath);
        var commit = repository.Lookup<Commit>(commitSha) ?? throw new WorkspaceException($"no commit '{commitSha}' in {Describe()}");
        if (commit[path]?.Target is not Blob blob) return (null, 0);
        var size = blob.Size;
        return size > maxBytes ? (null, size) : (blob.GetContentText(), size);
    }

    /// <summary>A fresh working copy of <paramref name="commitSha"/> at <paramref name="directory"/> (detached HEAD, with .git).</summary>
    /// <remarks>
    /// The working copy gets its own copy of the mirror's object files (packs and loose objects: files a mirror never
    /// changes once written), so that no git transport runs: a fetch, even from a local path, lists every ref of the
    /// mirror and looks each one up in the new repository, which made a job's checkout grow with the number of branches.
    /// Copies, not hard links: the job may write to its workspace, and must not reach the mirror. When the copy does not
    /// hold the commit (the mirror repacked meanwhile), the commit is fetched from the mirror instead.
    /// </remarks>
    public void CheckOut(string commitSha, string directory)
    {
        try
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
            var git = WorkingCopyGit.Start(directory, MirrorPath);
            var copied = CopyObjects(Path.Combine(git.Path, "objects"));
            using var repository = new Repository(directory);
            var commit = copied ? repository.Lookup<Commit>(commitSha) : null;
            if (commit is not null)
            {
                // The ref and the detached HEAD written as files, and the tree checked out without moving HEAD: libgit2's
                // ref updates write a lock file (and HEAD's reflog) each, a new inode per job for each.
                git.Detach(CheckedOutRef, commitSha);
                ((IRepository)repository).Checkout(commit.Tree, null, new CheckoutOptions { CheckoutModifiers = CheckoutModifiers.Force });
                return;
            }

            // Only the commit (and its history) is fetched, under one ref: a clone would write a remote-tracking ref and
            // its log for every branch of the mirror, in every job's workspace.
            Commands.Fetch(repository, "origin", [$"+{commitSha}:{CheckedOutRef}"], new FetchOptions { TagFetchMode = TagFetchMode.None }, null);
            commit = repository.Lookup<Commit>(commitSha) ?? throw new WorkspaceException($"no commit '{commitSha}' in {Describe()}");
            Commands.Checkout(repository, commit, new CheckoutOptions { CheckoutModifiers = CheckoutModifiers.Force });
        }
        catch (LibGit2SharpException e)
        {
            throw new WorkspaceException($"cannot check out {commitSha[..Math.Min(12, commitSha.Length)]}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Packs the mirror's loose objects and small packs into one pack once there are many of them: every fetch into the
    /// mirror adds a few objects or a pack, and every job's checkout copies each of those files. The new pack is in place
    /// before anything it holds is removed; a checkout that loses a file to this meanwhile fetches the commit instead.
    /// Call it where the mirror is updated (one writer at a time).
    /// </summary>
    public void Compact(int maxLooseObjects = 16, int maxSmallPacks = 4, long smallPackBytes = 8 << 20)
    {
        var objects = Path.Combine(MirrorPath, "objects");
        var packs = Path.Combine(objects, "pack");
        if (!Directory.Exists(objects) || !Directory.Exists(packs)) return;
        var loose = Directory.EnumerateDirectories(objects, "??")
            .SelectMany(folder => Directory.EnumerateFiles(folder).Where(file => Path.GetFileName(file).Length == 38)).ToList();
        var small = Directory.EnumerateFiles(packs, "pack-*.idx")
            .Where(index => new FileInfo(Path.ChangeExtension(index, ".pack")) is { Exists: true } pack && pack.Length < smallPackBytes).ToList();
        if (loose.Count <= maxLooseObjects && small.Count <= maxSmallPacks) return;

        var ids = loose.Select(file => Path.GetFileName(Path.GetDirectoryName(file)) + Path.GetFileName(file))
            .Concat(small.SelectMany(PackIndex.ObjectIds)).Distinct(StringComparer.Ordinal).ToList();
        var temporary = Path.Combine(MirrorPath, $"pipeliner-pack-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temporary);
        try
        {
            using (var repository = new Repository(MirrorPath))
            {
                repository.ObjectDatabase.Pack(new PackBuilderOptions(temporary) { MaximumNumberOfThreads = 1 }, builder =>
                {
                    foreach (var id in ids) builder.Add(new ObjectId(id));
                });
            }

            // The pack before its index: a reader takes a pack by its index.
            var written = Directory.GetFiles(temporary, "*.pack").Concat(Directory.GetFiles(temporary, "*.idx")).ToList();
            if (written.Count != 2) return;
            foreach (var file in written) File.Move(file, Path.Combine(packs, Path.GetFileName(file)), overwrite: true);
            var stemOfNew = Path.GetFileNameWithoutExtension(written[0]);
            foreach (var index in small)
            {
                var stem = Path.GetFileNameWithoutExtension(index);
                if (stem == stemOfNew) continue;
                // The index first: a pack without one is not read.
                File.Delete(index);
                foreach (var other in Directory.GetFiles(packs, stem + ".*")) File.Delete(other);
            }

            foreach (var file in loose) File.Delete(file);
        }
        finally
        {
            Directory.Delete(temporary, recursive: true);
        }
    }

    /// <summary>
    /// Copies the mirror's packs (each with its index) and loose objects into <paramref name="objects"/>; false when the
    /// mirror's object files changed under the copy (a repack removed one) or are not where a bare repository keeps them.
    /// </summary>
    private bool CopyObjects(string objects)
    {
        var source = Path.Combine(MirrorPath, "objects");
        if (!Directory.Exists(source)) return false;
        var written = new List<string>();
        try
        {
            var packs = Path.Combine(source, "pack");
            foreach (var index in Directory.Exists(packs) ? Directory.EnumerateFiles(packs, "pack-*.idx") : [])
            {
                // A pack is usable once its index is in place (it is written last); one without is still being written.
                var pack = Path.ChangeExtension(index, ".pack");
                if (!File.Exists(pack)) continue;
                foreach (var file in (string[])[pack, index])
                {
                    written.Add(Path.Combine(objects, "pack", Path.GetFileName(file)));
                    File.Copy(file, written[^1]);
                }
            }

            foreach (var folder in Directory.EnumerateDirectories(source, "??"))
            {
                var target = Path.Combine(objects, Path.GetFileName(folder));
                Directory.CreateDirectory(target);
                foreach (var file in Directory.EnumerateFiles(folder))
                {
                    // Loose objects are written under a temporary name and renamed into place: only whole ones are named by their id.
                    if (Path.GetFileName(file).Length != 38) continue;
                    written.Add(Path.Combine(target, Path.GetFileName(file)));
                    File.Copy(file, written[^1]);
                }
            }

            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing half copied stays behind for the fetch that follows.
            foreach (var file in written) File.Delete(file);
            return false;
        }
    }

    private SshGitClient? Ssh => RepositoryLocation.IsSsh(Source) ? new SshGitClient(Source, credentials as SshKeyCredentials) : null;

    private void FetchRefs(string[] refSpecs, bool prune)
    {
        if (Ssh is { } ssh)
        {
            ssh.Fetch(MirrorPath, refSpecs, prune);
            return;
        }

        using var repository = new Repository(MirrorPath);
        var options = new FetchOptions { Prune = prune, TagFetchMode = prune ? TagFetchMode.All : null, CredentialsProvider = Credentials() };
        Commands.Fetch(repository, "origin", refSpecs, options, null);
    }

    /// <summary>
    /// The project's user name and password, given once per operation: libgit2 asks again only when the server refused
    /// them, and would otherwise replay them fifteen times.
    /// </summary>
    private CredentialsHandler? Credentials()
    {
        if (credentials is not PasswordCredentials password) return null;
        var given = false;
        return (_, _, _) =>
        {
            if (given) throw new RemoteAccessException(RemoteFailure.PasswordRefused(password.Username));
            given = true;
            return new UsernamePasswordCredentials { Username = password.Username, Password = password.Password };
        };
    }

    /// <summary>Runs a clone or fetch; every failure becomes a <see cref="WorkspaceException"/> that says why, without any secret.</summary>
    private void Remote(string what, Action operation)
    {
        try
        {
            operation();
        }
        catch (Exception e) when (e is LibGit2SharpException or RemoteAccessException)
        {
            var cause = e.Message.Contains("authentication required but no callback set", StringComparison.Ordinal) ? RemoteFailure.NoCredentials : e.Message;
            throw new WorkspaceException(RemoteFailure.Scrub($"{what}: {cause}", credentials), null);
        }
    }

    private string Describe() =>
        project is null ? $"'{RepositoryLocation.Redact(Source)}'" : $"'{RepositoryLocation.Redact(Source)}' of project '{project}'";
}
