using Pipeliner.Engine.Backends;
using Pipeliner.Engine.Storage;

namespace Pipeliner.Engine.Workspaces;

/// <summary>
/// Workspaces belong to the process that made them (an owner file in each run's workspace folder); a process
/// starting up removes those whose owner died, the file-system half of "no leftovers".
/// </summary>
public sealed class WorkspaceJanitor(DataLayout layout)
{
    private const string OwnerFile = ".owner";

    /// <summary>Marks this process as the owner of the run's workspaces.</summary>
    public void Claim(string runId)
    {
        var directory = Path.GetDirectoryName(layout.Workspace(runId, "x", 1))!;
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, OwnerFile), OwnerIdentity.Current.ToString());
    }

    /// <summary>Removes the run's workspace folder once its jobs are done.</summary>
    public void Release(string runId)
    {
        var directory = Path.GetDirectoryName(layout.Workspace(runId, "x", 1))!;
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
    }

    public void RemoveOrphans()
    {
        if (!Directory.Exists(layout.WorkspacesDirectory)) return;
        foreach (var directory in Directory.EnumerateDirectories(layout.WorkspacesDirectory))
        {
            var ownerPath = Path.Combine(directory, OwnerFile);
            var owner = File.Exists(ownerPath) ? OwnerIdentity.Parse(File.ReadAllText(ownerPath).Trim()) : null;
            if (owner?.IsAlive() == true) continue;
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // In use or not ours to delete: try again at the next start.
            }
        }
    }
}
