using Pipeliner.Engine.Workspaces;

namespace Pipeliner.Cli.Running;

/// <summary>Where a local run's code comes from: a local repository (the default) or a URL.</summary>
internal sealed record RunSource(
    string Location,
    string Project,
    string? CommitSha,
    string? Branch,
    bool HasUncommittedChanges,
    string DefaultDataDirectory)
{
    public static RunSource Resolve(RunRequest request)
    {
        var repository = request.Repository ?? Directory.GetCurrentDirectory();
        if (IsUrl(repository))
        {
            var project = Path.GetFileNameWithoutExtension(repository.TrimEnd('/'));
            return new RunSource(repository, project, null, request.Branch, false,
                Path.Combine(Directory.GetCurrentDirectory(), ".pipeliner"));
        }

        if (!Directory.Exists(repository)) throw new UsageException($"no repository at {Path.GetFullPath(repository)}: no such directory (--repo)");
        var root = LocalRepository.FindRoot(repository)
                   ?? throw new UsageException($"not a git repository: {Path.GetFullPath(repository)} (pass --repo DIR)");
        var (commit, branch) = LocalRepository.Head(root, request.Commit);
        return new RunSource(root, Path.GetFileName(root), commit, branch, LocalRepository.HasUncommittedChanges(root),
            Path.Combine(root, ".pipeliner"));
    }

    private static bool IsUrl(string text) =>
        text.Contains("://", StringComparison.Ordinal) || text.StartsWith("git@", StringComparison.Ordinal);
}
