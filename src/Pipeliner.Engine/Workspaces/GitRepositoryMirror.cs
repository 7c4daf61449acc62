using LibGit2Sharp;

namespace Pipeliner.Engine.Workspaces;

/// <summary>
/// A bare mirror of a project's repository (a local path or a URL), cloned once and fetched incrementally.
/// Jobs check out from it, so the source is read once per run however many jobs there are.
/// </summary>
public sealed class GitRepositoryMirror(string source, string mirrorPath)
{
    private static readonly string[] MirrorRefSpecs = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"];

    public string Source { get; } = source;
    public string MirrorPath { get; } = mirrorPath;

    /// <summary>Clones the mirror if missing, otherwise fetches every branch and tag.</summary>
    public void Update()
    {
        try
        {
            if (!Repository.IsValid(MirrorPath))
            {
                if (Directory.Exists(MirrorPath)) Directory.Delete(MirrorPath, recursive: true);
                Directory.CreateDirectory(Path.GetDirectoryName(MirrorPath)!);
                Repository.Clone(Source, MirrorPath, new CloneOptions { IsBare = true });
            }

            using var repository = new Repository(MirrorPath);
            Commands.Fetch(repository, "origin", MirrorRefSpecs, new FetchOptions { Prune = true, TagFetchMode = TagFetchMode.All }, null);
        }
        catch (LibGit2SharpException e)
        {
            throw new WorkspaceException($"cannot read the repository '{Source}': {e.Message}", e);
        }
    }

    /// <summary>Fetches one more ref into the mirror (kept under refs/pipeliner/ so that branch fetches never prune it).</summary>
    public void Fetch(string reference)
    {
        try
        {
            using var repository = new Repository(MirrorPath);
            var local = "refs/pipeliner/" + reference.Replace("refs/", "", StringComparison.Ordinal);
            Commands.Fetch(repository, "origin", [$"+{reference}:{local}"], new FetchOptions(), null);
        }
        catch (LibGit2SharpException e)
        {
            throw new WorkspaceException($"cannot fetch '{reference}' from '{Source}': {e.Message}", e);
        }
    }

    /// <summary>The full commit id that <paramref name="reference"/> (sha, branch, tag) names in the mirror.</summary>
    public string ResolveCommit(string reference)
    {
        try
        {
            using var repository = new Repository(MirrorPath);
            var commit = repository.Lookup<Commit>(reference)
                         ?? repository.Lookup<Commit>($"refs/heads/{reference}")
                         ?? repository.Lookup<Commit>($"refs/tags/{reference}");
            return commit?.Sha ?? throw new WorkspaceException($"no commit '{reference}' in '{Source}'");
        }
        catch (Exception e) when (e is LibGit2SharpException or ArgumentException)
        {
            throw new WorkspaceException($"no commit '{reference}' in '{Source}': {e.Message}", e);
        }
    }

    /// <summary>The text of <paramref name="path"/> at <paramref name="commitSha"/>, or null when the file is not there.</summary>
    public string? ReadFile(string commitSha, string path)
    {
        using var repository = new Repository(MirrorPath);
        var commit = repository.Lookup<Commit>(commitSha) ?? throw new WorkspaceException($"no commit '{commitSha}' in '{Source}'");
        return commit[path]?.Target is Blob blob ? blob.GetContentText() : null;
    }

    /// <summary>A fresh working copy of <paramref name="commitSha"/> at <paramref name="directory"/> (detached HEAD, with .git).</summary>
    public void CheckOut(string commitSha, string directory)
    {
        try
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
            Repository.Clone(MirrorPath, directory, new CloneOptions { Checkout = false });
            using var repository = new Repository(directory);
            var commit = repository.Lookup<Commit>(commitSha) ?? throw new WorkspaceException($"no commit '{commitSha}' in '{Source}'");
            Commands.Checkout(repository, commit, new CheckoutOptions { CheckoutModifiers = CheckoutModifiers.Force });
        }
        catch (LibGit2SharpException e)
        {
            throw new WorkspaceException($"cannot check out {commitSha[..Math.Min(12, commitSha.Length)]}: {e.Message}", e);
        }
    }
}
