using System.Collections.Concurrent;
using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text.Json;
using Pipeliner.Engine.Workspaces;

namespace Pipeliner.Engine.Storage;

/// <summary>One archived workspace path: its tar file, size and SHA-256 digest.</summary>
public sealed record ArchivedPath(string Path, string File, long Size, string Sha256);

/// <summary>
/// A folder of tar archives, one per workspace path, with a manifest: what artifacts and caches are made of.
/// Archives hold the path's last segment at their root (as Docker's archive API returns them), so restoring
/// extracts each one into the path's parent directory inside the workspace.
/// </summary>
public sealed class ArchiveFolder(string directory)
{
    private const string ManifestName = "manifest.json";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Jobs of a run may save and restore one folder at the same time (matrix instances share a cache key).</summary>
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Gates = new(StringComparer.Ordinal);

    public string Directory { get; } = directory;

    /// <summary>Something was saved here (a folder is complete once its manifest is in place).</summary>
    public bool Exists => File.Exists(System.IO.Path.Combine(Directory, ManifestName));

    public IReadOnlyList<ArchivedPath> Read()
    {
        var manifest = System.IO.Path.Combine(Directory, ManifestName);
        return File.Exists(manifest)
            ? JsonSerializer.Deserialize<List<ArchivedPath>>(File.ReadAllText(manifest), Json) ?? []
            : [];
    }

    /// <summary>
    /// Replaces the folder's content with the given archives, atomically for readers of the manifest. With
    /// <paramref name="maxBytes"/>, archives that together hold more are refused (<see cref="ArchiveTooLargeException"/>)
    /// as soon as the limit is passed, and nothing of them is kept: the folder keeps what it had.
    /// </summary>
    public static Task<IReadOnlyList<ArchivedPath>> WriteAsync(
        string directory, IReadOnlyList<(string Path, Stream Tar)> archives, CancellationToken cancellationToken, long? maxBytes = null) =>
        WriteAsync(directory, archives.Select(a => (a.Path, (Func<CancellationToken, Task<Stream?>>)(_ => Task.FromResult<Stream?>(a.Tar)))).ToList(),
            cancellationToken, maxBytes);

    /// <summary>
    /// As above, each archive opened only once the one before it is written and closed (the Docker engine holds a
    /// container's lock while one of its archives is read, so a second one cannot be asked for meanwhile); a path whose
    /// opener answers null is left out. Each opened stream is disposed here.
    /// </summary>
    public static async Task<IReadOnlyList<ArchivedPath>> WriteAsync(
        string directory, IReadOnlyList<(string Path, Func<CancellationToken, Task<Stream?>> Open)> sources, CancellationToken cancellationToken,
        long? maxBytes = null)
    {
        var staging = directory + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        System.IO.Directory.CreateDirectory(staging);
        var entries = new List<ArchivedPath>();
        try
        {
            long total = 0;
            foreach (var (path, open) in sources)
            {
                await using var tar = await open(cancellationToken);
                if (tar is null) continue;
                var file = $"{entries.Count}.tar";
                await using (var output = File.Create(System.IO.Path.Combine(staging, file)))
                    total = await CopyWithinAsync(tar, output, total, maxBytes, cancellationToken);
                await using var written = File.OpenRead(System.IO.Path.Combine(staging, file));
                var digest = Convert.ToHexStringLower(await SHA256.HashDataAsync(written, cancellationToken));
                entries.Add(new ArchivedPath(path, file, written.Length, digest));
            }

            await File.WriteAllTextAsync(System.IO.Path.Combine(staging, ManifestName), JsonSerializer.Serialize(entries, Json), cancellationToken);
        }
        catch
        {
            // Nothing partial is kept: the staging folder goes, the folder itself was not touched.
            if (System.IO.Directory.Exists(staging)) System.IO.Directory.Delete(staging, recursive: true);
            throw;
        }

        var gate = GateOf(directory);
        await gate.WaitAsync(CancellationToken.None);
        try
        {
            if (System.IO.Directory.Exists(directory)) System.IO.Directory.Delete(directory, recursive: true);
            System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(directory)!);
            System.IO.Directory.Move(staging, directory);
        }
        finally
        {
            gate.Release();
        }

        return entries;
    }

    /// <summary>Copies <paramref name="source"/> on; throws once the bytes copied so far, <paramref name="before"/> included, pass <paramref name="maxBytes"/>.</summary>
    private static async Task<long> CopyWithinAsync(Stream source, Stream target, long before, long? maxBytes, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        var total = before;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > maxBytes) throw new ArchiveTooLargeException(maxBytes.Value);
            await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }

        return total;
    }

    /// <summary>Extracts every archive into <paramref name="workspace"/> at its path's parent, after checking its digest.</summary>
    public async Task RestoreAsync(string workspace, CancellationToken cancellationToken)
    {
        var gate = GateOf(Directory);
        await gate.WaitAsync(cancellationToken);
        try
        {
            foreach (var entry in Read())
            {
                RefuseLinksOnTheWay(workspace, entry.Path);
                var parent = System.IO.Path.GetDirectoryName(entry.Path.TrimEnd('/')) ?? "";
                var target = System.IO.Path.Combine(workspace, parent);
                System.IO.Directory.CreateDirectory(target);
                await using var tar = File.OpenRead(System.IO.Path.Combine(Directory, entry.File));
                // What is restored is exactly what was recorded: a job deploys the bytes an earlier job was given, by digest.
                var digest = Convert.ToHexStringLower(await SHA256.HashDataAsync(tar, cancellationToken));
                if (!string.Equals(digest, entry.Sha256, StringComparison.OrdinalIgnoreCase))
                    throw new WorkspaceException($"cannot restore '{entry.Path}': its archive has sha256 {digest[..12]}, not the recorded {entry.Sha256[..Math.Min(12, entry.Sha256.Length)]}");
                tar.Position = 0;
                try
                {
                    await TarFile.ExtractToDirectoryAsync(tar, target, overwriteFiles: true, cancellationToken);
                }
                catch (IOException e)
                {
                    throw new WorkspaceException($"cannot restore '{entry.Path}': {e.Message}", e);
                }
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Removes the folder and everything in it (retention), waiting for a restore or a write of it to end first; returns
    /// the bytes freed (0 when there was nothing).
    /// </summary>
    public async Task<long> DeleteAsync(CancellationToken cancellationToken)
    {
        var gate = GateOf(Directory);
        await gate.WaitAsync(cancellationToken);
        try
        {
            var folder = new DirectoryInfo(Directory);
            if (!folder.Exists) return 0;
            var bytes = SizeOf(folder);
            folder.Delete(recursive: true);
            return bytes;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The bytes of every file under <paramref name="folder"/> (0 when it does not exist).</summary>
    public static long SizeOf(DirectoryInfo folder)
    {
        if (!folder.Exists) return 0;
        long total = 0;
        foreach (var file in folder.EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true }))
        {
            try
            {
                total += file.Length;
            }
            catch (FileNotFoundException)
            {
                // Removed while counting.
            }
        }

        return total;
    }

    /// <summary>
    /// A symbolic link in the checkout (committed, so anyone who can push controls it) would send restored files
    /// anywhere on this machine: every directory on the way to the path must be a real one.
    /// </summary>
    private static void RefuseLinksOnTheWay(string workspace, string path)
    {
        var current = workspace;
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < parts.Length; i++)
        {
            current = System.IO.Path.Combine(current, parts[i]);
            if (new FileInfo(current).LinkTarget is not null)
                throw new WorkspaceException($"cannot restore '{path}': '{string.Join('/', parts[..(i + 1)])}' in the workspace is a symbolic link");
        }
    }

    private static SemaphoreSlim GateOf(string directory) =>
        Gates.GetOrAdd(System.IO.Path.GetFullPath(directory), _ => new SemaphoreSlim(1, 1));
}

/// <summary>Archives that together hold more than their limit; nothing of them was kept.</summary>
public sealed class ArchiveTooLargeException(long maxBytes)
    : Exception($"more than {new Pipeliner.Core.Model.ByteSize(maxBytes)}")
{
    public long MaxBytes { get; } = maxBytes;
}
