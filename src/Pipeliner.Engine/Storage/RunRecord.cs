using System.Text.Json;
using System.Text.Json.Serialization;
using Pipeliner.Core.Model;
using Pipeliner.Core.Runs;

namespace Pipeliner.Engine.Storage;

/// <summary>The history of one run as stored in <c>runs/{run}/run.json</c>: statuses, timings, attempts and logs.</summary>
public sealed record RunRecord(
    string Id,
    string Project,
    string? Pipeline,
    string Status,
    string Event,
    string? Branch,
    string? Tag,
    string Commit,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    IReadOnlyList<JobRecord> Jobs);

public sealed record JobRecord(
    string Id,
    string Stage,
    string Status,
    string? Reason,
    IReadOnlyList<string> Needs,
    bool AllowFailure,
    IReadOnlyList<AttemptRecord> Attempts,
    IReadOnlyList<ArchivedPath> Artifacts);

public sealed record AttemptRecord(
    int Number,
    string Status,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    int? ExitCode,
    string? Message,
    long? PeakMemoryBytes,
    string Log);

/// <summary>Writes and reads run records; writes replace the file atomically so a reader never sees half a record.</summary>
public sealed class RunRecordStore(DataLayout layout)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public async Task SaveAsync(Run run, string project, CancellationToken cancellationToken)
    {
        var record = ToRecord(run, project);
        var path = layout.RunRecord(run.Id);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        await File.WriteAllTextAsync(temporary, JsonSerializer.Serialize(record, Json), cancellationToken);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The next run number of this data directory, reserved by creating its directory marker.</summary>
    public string ReserveRunId()
    {
        Directory.CreateDirectory(layout.RunsDirectory);
        var next = Directory.EnumerateDirectories(layout.RunsDirectory)
            .Select(d => int.TryParse(Path.GetFileName(d), out var n) ? n : 0)
            .DefaultIfEmpty(0)
            .Max() + 1;
        while (true)
        {
            var id = next.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Directory.CreateDirectory(layout.RunDirectory(id));
            try
            {
                // Creating the marker fails when a concurrent run took this number first.
                using (new FileStream(Path.Combine(layout.RunDirectory(id), ".reserved"), FileMode.CreateNew)) { }
                return id;
            }
            catch (IOException) when (File.Exists(Path.Combine(layout.RunDirectory(id), ".reserved")))
            {
                next++;
            }
        }
    }

    public RunRecord? Load(string runId)
    {
        var path = layout.RunRecord(runId);
        return File.Exists(path) ? JsonSerializer.Deserialize<RunRecord>(File.ReadAllText(path), Json) : null;
    }

    private RunRecord ToRecord(Run run, string project)
    {
        var context = run.Plan.Context;
        return new RunRecord(run.Id, project, run.Plan.PipelineName, run.Status.ToName(), context.Event.ToName(),
            context.Branch, context.Tag, context.CommitSha, run.CreatedAt, run.StartedAt, run.FinishedAt,
            run.Jobs.Select(j => new JobRecord(j.Id, j.Planned.Stage, j.Status.ToName(), j.Reason, j.Planned.Needs,
                j.Planned.Spec.AllowFailure,
                j.Attempts.Select(a => new AttemptRecord(a.Number, a.Status.ToName(), a.StartedAt, a.FinishedAt, a.ExitCode,
                    a.Message, a.PeakMemoryBytes, layout.Relative(layout.JobLog(run.Id, j.Id, a.Number)))).ToList(),
                j.Status == JobStatus.Succeeded ? new ArchiveFolder(layout.Artifacts(run.Id, j.Id)).Read() : [])).ToList());
    }
}
