using Pipeliner.Engine.Backends;
using Pipeliner.Engine.Execution;

namespace Pipeliner.Engine.Workspaces;

/// <summary>
/// The server's side of a workspace that the backend fetches itself: the URLs of the attempt's source archive and of
/// the archives it restores (with their recorded digests), and the attempt's credential. The agent protocol's client
/// provides it; without one, a backend that fetches its own workspace cannot run jobs.
/// </summary>
public interface IRemoteWorkspaceSource
{
    Task<WorkspaceFetch> ResolveAsync(JobAssignment assignment, CancellationToken cancellationToken);
}
