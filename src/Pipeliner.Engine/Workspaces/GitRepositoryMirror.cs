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
    public void CheckOut(string commitSha, string directory)
    {
        try
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
            // Only the commit (and its history) is fetched, under one ref: a clone would write a remote-tracking ref and
            // its log for every branch of the mirror, in every job's workspace.
            Repository.Init(directory);
            using var repository = new Repository(directory);
            repository.Network.Remotes.Add("origin", MirrorPath);
            Commands.Fetch(repository, "origin", [$"+{commitSha}:{CheckedOutRef}"], new FetchOptions { TagFetchMode = TagFetchMode.None }, null);
            var commit = repository.Lookup<Commit>(commitSha) ?? throw new WorkspaceException($"no commit '{commitSha}' in {Describe()}");
            Commands.Checkout(repository, commit, new CheckoutOptions { CheckoutModifiers = CheckoutModifiers.Force });
        }
        catch (LibGit2SharpException e)
        {
            throw new WorkspaceException($"cannot check out {commitSha[..Math.Min(12, commitSha.Length)]}: {e.Message}", e);
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
