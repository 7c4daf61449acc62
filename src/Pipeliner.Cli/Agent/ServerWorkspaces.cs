using System.Collections.Concurrent;
using System.Formats.Tar;
using System.Globalization;
using Pipeliner.Agent.Contracts;
using Pipeliner.Engine.Backends;
using Pipeliner.Engine.Execution;
using Pipeliner.Engine.Storage;
using Pipeliner.Engine.Workspaces;

namespace Pipeliner.Cli.Agent;

/// <summary>
/// Where a remote agent's jobs get their commit's tree: from the server, with the attempt's credential, never from the
/// forge. Host backends (docker, shell) get it extracted from a tar kept per commit in the work directory
/// (<c>sources/{commit}.tar</c>), carried by the assignment itself when the tree is small and downloaded otherwise; a
/// backend that fetches its own workspace (kubernetes) gets the server's URLs.
/// </summary>
internal sealed class ServerWorkspaces(AgentClient client, DataLayout layout) : ICommitTreeSource, IRemoteWorkspaceSource
{
    private readonly ConcurrentDictionary<(string Run, string Job, int Attempt), AgentAssignment> _attempts = new();
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);

    public static string RunKey(AgentAssignment assignment) => assignment.RunId.ToString(CultureInfo.InvariantCulture);

    public IDisposable Hold(AgentAssignment assignment)
    {
        var key = (RunKey(assignment), assignment.Job.Id, assignment.Attempt);
        _attempts[key] = assignment;
        return new Release(() => _attempts.TryRemove(key, out _));
    }

    public async Task CheckOutAsync(JobAssignment assignment, string directory, CancellationToken cancellationToken)
    {
        var held = Find(assignment);
        var tar = Path.Combine(layout.Root, "sources", PathSlug.For(held.CommitSha) + ".tar");
        var gate = _gates.GetOrAdd(tar, _ => new SemaphoreSlim(1, 1));
        Directory.CreateDirectory(directory);
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (!File.Exists(tar))
            {
                if (held.SourceTar is { } carried) await KeepAsync(carried, tar, directory, cancellationToken);
                else await ReceiveAsync(held, tar, directory, cancellationToken);
                return;
            }
        }
        finally
        {
            gate.Release();
        }

        // Another job of the commit brought it already: extracted outside the gate, alongside other jobs.
        await TarFile.ExtractToDirectoryAsync(tar, directory, overwriteFiles: true, cancellationToken);
    }

    /// <summary>The commit's tar the assignment carried (a small tree: no download), extracted and kept as a downloaded one is.</summary>
    private static async Task KeepAsync(byte[] carried, string tar, string directory, CancellationToken cancellationToken)
    {
        var partial = tar + "." + Guid.NewGuid().ToString("N")[..8] + ".partial";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(tar)!);
            await File.WriteAllBytesAsync(partial, carried, cancellationToken);
            await TarFile.ExtractToDirectoryAsync(new MemoryStream(carried, writable: false), directory, overwriteFiles: true, cancellationToken);
            File.Move(partial, tar, overwrite: true);
        }
        finally
        {
            if (File.Exists(partial)) File.Delete(partial);
        }
    }

    /// <summary>The commit's tar from the server, extracted as it arrives and kept for the commit's other jobs at the same time.</summary>
    private async Task ReceiveAsync(AgentAssignment held, string tar, string directory, CancellationToken cancellationToken)
    {
        var partial = tar + "." + Guid.NewGuid().ToString("N")[..8] + ".partial";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(tar)!);
            await client.ReceiveAsync(AgentRoutes.Source(held.AttemptId), held.AttemptCredential, async body =>
            {
                await using var copy = File.Create(partial);
                await using var tee = new TeeReadStream(body, copy);
                await TarFile.ExtractToDirectoryAsync(tee, directory, overwriteFiles: true, cancellationToken);
                await tee.DrainAsync(cancellationToken);
            }, cancellationToken);
            File.Move(partial, tar, overwrite: true);
        }
        catch (Exception e) when (e is HttpRequestException or AgentRefusedException)
        {
            throw new WorkspaceException($"cannot get commit {held.CommitSha[..Math.Min(12, held.CommitSha.Length)]} from the server: {e.Message}", e);
        }
        finally
        {
            if (File.Exists(partial)) File.Delete(partial);
        }
    }

    public Task<WorkspaceFetch> ResolveAsync(JobAssignment assignment, CancellationToken cancellationToken)
    {
        var held = Find(assignment);
        var archives = held.Artifacts.Concat(held.Cache)
            .Select(a => new ArchiveDownload(a.Path, new Uri(client.Server, a.Url), a.Sha256)).ToList();
        return Task.FromResult(new WorkspaceFetch(new Uri(client.Server, AgentRoutes.Source(held.AttemptId)), archives, held.AttemptCredential));
    }

    private AgentAssignment Find(JobAssignment assignment) =>
        _attempts.TryGetValue((assignment.RunId, assignment.Job.Id, assignment.Attempt), out var held)
            ? held
            : throw new WorkspaceException($"attempt {assignment.Attempt} of job '{assignment.Job.Id}' is not held by this agent");

    private sealed class Release(Action release) : IDisposable
    {
        public void Dispose() => release();
    }
}
