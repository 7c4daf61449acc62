using System.Formats.Tar;
using Pipeliner.Core.Model;
using Pipeliner.Engine.Backends;
using Pipeliner.Engine.Storage;

namespace Pipeliner.Engine.Reports;

/// <summary>
/// Collects a job's report files from its workspace after the script, through the backend's copy (so it works the same
/// on every backend and agent), into one archive: entries <c>junit/{path}</c> and <c>sarif/{path}</c>. Each glob is
/// read from the deepest directory it names (<c>build/test-results/**/*.xml</c> copies <c>build/test-results</c>); only
/// regular files are taken, within <see cref="ReportLimits"/>, and what is left out is said in the job's log.
/// </summary>
public static class ReportCollector
{
    /// <summary>The archive's one entry in its folder's manifest.</summary>
    public const string ArchiveName = "reports";

    public static async Task<IReadOnlyList<ArchivedPath>> CollectAsync(
        IExecutionBackend backend, WorkflowSpec workflow, StepSpec step, ReportsDefinition reports, string directory,
        ReportLimits limits, Action<string> log, CancellationToken cancellationToken)
    {
        var staging = directory + ".collect-" + Guid.NewGuid().ToString("N")[..8] + ".tar";
        Directory.CreateDirectory(Path.GetDirectoryName(staging)!);
        var files = 0;
        long total = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            await using (var output = File.Create(staging))
            await using (var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
            {
                foreach (var (kind, globs) in new[] { (ReportKinds.Junit, reports.Junit), (ReportKinds.Sarif, reports.Sarif) })
                {
                    foreach (var glob in globs)
                    {
                        if (GlobPattern.TryParse(glob, out _) is not { } pattern) continue;
                        var root = LiteralRoot(glob);
                        var matched = 0;
                        var (tar, tooLarge) = await SpoolAsync(backend, workflow, step, root, directory, limits, cancellationToken);
                        await using var spooled = tar;
                        if (tooLarge)
                        {
                            log($"pipeliner: warning: the {kind} report glob '{glob}' reads more than {limits.MaxScannedBytes} bytes of the workspace from '{(root.Length == 0 ? "." : root)}': name a narrower directory in it");
                            continue;
                        }

                        if (tar is not null)
                        {
                            await using var reader = new TarReader(tar);
                            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
                            {
                                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
                                if (WorkspacePath(root, entry.Name) is not { } path || !pattern.IsMatch(path)) continue;
                                matched++;
                                if (!seen.Add(kind + "/" + path)) continue;
                                if (entry.Length > limits.MaxFileBytes)
                                    log($"pipeliner: warning: report '{path}' left out: {entry.Length} bytes, more than the {limits.MaxFileBytes} a report file may have");
                                else if (files >= limits.MaxFiles)
                                    log($"pipeliner: warning: report '{path}' left out: a job keeps at most {limits.MaxFiles} report files");
                                else if (total + entry.Length > limits.MaxTotalBytes)
                                    log($"pipeliner: warning: report '{path}' left out: a job keeps at most {limits.MaxTotalBytes} bytes of reports");
                                else
                                {
                                    await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, kind + "/" + path) { DataStream = entry.DataStream }, cancellationToken);
                                    files++;
                                    total += entry.Length;
                                }
                            }
                        }

                        if (matched == 0) log($"pipeliner: warning: no file matches the {kind} report glob '{glob}'");
                    }
                }
            }

            if (files == 0) return [];
            await using var archive = File.OpenRead(staging);
            return await ArchiveFolder.WriteAsync(directory, [(ArchiveName, archive)], cancellationToken);
        }
        finally
        {
            File.Delete(staging);
        }
    }

    /// <summary>
    /// The backend's archive of <paramref name="root"/> in a temporary file that deletes itself (the engine's stream is
    /// read in one pass, as artifacts are); none when the path does not exist or when the archive is larger than the scan limit (then TooLarge).
    /// </summary>
    private static async Task<(Stream? Tar, bool TooLarge)> SpoolAsync(
        IExecutionBackend backend, WorkflowSpec workflow, StepSpec step, string root, string directory, ReportLimits limits, CancellationToken cancellationToken)
    {
        await using var source = await backend.CopyFromStepAsync(workflow, step, root, cancellationToken);
        if (source is null) return (null, false);
        var spool = new FileStream(directory + ".scan-" + Guid.NewGuid().ToString("N")[..8] + ".tar", FileMode.CreateNew, FileAccess.ReadWrite,
            FileShare.None, 81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        try
        {
            var buffer = new byte[81920];
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                if (spool.Length + read > limits.MaxScannedBytes)
                {
                    await spool.DisposeAsync();
                    return (null, true);
                }

                await spool.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }

            spool.Position = 0;
            return (spool, false);
        }
        catch
        {
            await spool.DisposeAsync();
            throw;
        }
    }

    /// <summary>The directories a glob names before its first wildcard ("" for the workspace), or the whole path without one.</summary>
    internal static string LiteralRoot(string glob)
    {
        var segments = glob.TrimEnd('/').Split('/');
        var literal = segments.TakeWhile(s => s.IndexOfAny(['*', '?', '[', '{']) < 0).ToList();
        return string.Join('/', literal);
    }

    /// <summary>
    /// An entry's path in the workspace. The backend's archive of <paramref name="root"/> names entries from the root's
    /// last segment (the workspace's own folder name for the whole workspace), as Docker's archive API does.
    /// </summary>
    internal static string? WorkspacePath(string root, string entryName)
    {
        var name = entryName.Replace('\\', '/').TrimStart('/');
        if (name.Split('/').Contains("..")) return null;
        if (root.Length == 0)
        {
            var slash = name.IndexOf('/');
            return slash < 0 || slash == name.Length - 1 ? null : name[(slash + 1)..];
        }

        var parent = root.Contains('/') ? root[..root.LastIndexOf('/')] : "";
        return parent.Length == 0 ? name : parent + "/" + name;
    }
}
