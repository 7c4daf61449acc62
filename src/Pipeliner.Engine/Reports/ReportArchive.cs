using System.Formats.Tar;
using Pipeliner.Engine.Storage;

namespace Pipeliner.Engine.Reports;

/// <summary>Reads the report files of a job attempt's archive (see <see cref="ReportCollector"/>); a bad file is a problem, never an exception.</summary>
public static class ReportArchive
{
    public static async Task<IReadOnlyList<ReportFile>> ReadAsync(string directory, ReportLimits limits, CancellationToken cancellationToken)
    {
        var folder = new ArchiveFolder(directory);
        var files = new List<ReportFile>();
        foreach (var archive in folder.Read())
        {
            await using var tar = File.OpenRead(Path.Combine(directory, archive.File));
            await using var reader = new TarReader(tar);
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
            {
                if (files.Count >= limits.MaxFiles) break;
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
                var slash = entry.Name.IndexOf('/');
                if (slash < 0) continue;
                var (kind, path) = (entry.Name[..slash], entry.Name[(slash + 1)..]);
                if (kind is not (ReportKinds.Junit or ReportKinds.Sarif)) continue;
                files.Add(Read(kind, path, entry.Length, entry.DataStream, limits));
            }
        }

        return files;
    }

    /// <summary>One report file; what is wrong with it is its <see cref="ReportFile.Problem"/>.</summary>
    public static ReportFile Read(string kind, string path, long length, Stream? content, ReportLimits limits)
    {
        if (length > limits.MaxFileBytes)
            return new ReportFile(kind, path, null, null, $"{length} bytes, more than the {limits.MaxFileBytes} a report file may have");
        if (content is null || length == 0) return new ReportFile(kind, path, null, null, "the file is empty");
        try
        {
            return kind == ReportKinds.Junit
                ? new ReportFile(kind, path, JUnitReader.Read(content, limits), null, null)
                : new ReportFile(kind, path, null, SarifReader.Read(content, limits), null);
        }
        catch (ReportFormatException e)
        {
            return new ReportFile(kind, path, null, null, e.Message);
        }
        catch (Exception e) when (e is System.Xml.XmlException or System.Text.DecoderFallbackException or IOException or InvalidOperationException)
        {
            // What the readers do not already word (bytes that are no text in the file's encoding): said, never thrown.
            return new ReportFile(kind, path, null, null, $"cannot be read: {e.Message}");
        }
    }

    /// <summary>The job log's line for a report file.</summary>
    public static string Describe(ReportFile file) => file switch
    {
        { Problem: { } problem } => $"pipeliner: warning: {(file.Kind == ReportKinds.Junit ? "test" : "static analysis")} report '{file.Path}' left out: {problem}",
        { Tests: { } t } => $"pipeliner: test report '{file.Path}': {t.Total} tests, {t.Failed} failed, {t.Errored} errored, {t.Skipped} skipped",
        { Findings: { } f } => $"pipeliner: static analysis report '{file.Path}': {f.Counts.Errors} errors, {f.Counts.Warnings} warnings, {f.Counts.Notes} notes",
        _ => $"pipeliner: report '{file.Path}'",
    };
}
