using LibGit2Sharp;

namespace Pipeliner.Engine.Workspaces;

/// <summary>Facts about a developer's local repository, for <c>pipeliner run</c>'s defaults.</summary>
public static class LocalRepository
{
    /// <summary>The repository's top directory containing <paramref name="path"/>, or null when it is not in one.</summary>
    public static string? FindRoot(string path)
    {
        var discovered = Repository.Discover(path);
        if (discovered is null) return null;
        using var repository = new Repository(discovered);
        return repository.Info.WorkingDirectory?.TrimEnd('/', '\\');
    }

    /// <summary>The commit and branch HEAD points at (branch null when detached).</summary>
    public static (string CommitSha, string? Branch) Head(string root, string reference = "HEAD")
    {
        using var repository = new Repository(root);
        var commit = repository.Lookup<Commit>(reference)
                     ?? throw new WorkspaceException($"no commit '{reference}' in {root}");
        var branch = reference == "HEAD" && !repository.Info.IsHeadDetached ? repository.Head.FriendlyName
            : repository.Branches[reference] is { IsRemote: false } named ? named.FriendlyName
            : null;
        return (commit.Sha, branch);
    }

    /// <summary>True when the working tree has changes a run at a commit would not see.</summary>
    public static bool HasUncommittedChanges(string root)
    {
        using var repository = new Repository(root);
        return repository.RetrieveStatus(new StatusOptions { IncludeUntracked = false }).IsDirty;
    }
}
