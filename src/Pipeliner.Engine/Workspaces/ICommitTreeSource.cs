using Pipeliner.Engine.Execution;

namespace Pipeliner.Engine.Workspaces;

/// <summary>
/// Puts the tree of an assignment's commit at a directory without a repository mirror: a remote agent extracts the
/// archive it got from the Pipeliner server (which alone reads the forge). Without one, the runner checks the commit out
/// of its own mirror of the repository.
/// </summary>
public interface ICommitTreeSource
{
    Task CheckOutAsync(JobAssignment assignment, string directory, CancellationToken cancellationToken);
}
