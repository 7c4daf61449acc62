using System.Text.Json;
using System.Text.Json.Serialization;
using Pipeliner.Core.Model;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Backends;
using Pipeliner.Engine.Logging;

namespace Pipeliner.Engine.Storage;

/// <summary>The history of one run as stored in <c>runs/{run}/run.json</c>: statuses, timings, attempts and logs.</summary>
/// <param name="Status">The run's status; <c>interrupted</c> when the process running it died before it finished.</param>
/// <param name="Owner">The process that ran it (<c>host/pid/start-time</c>): while it lives, an unfinished run is not interrupted.</param>
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
    IReadOnlyList<JobRecord> Jobs,
    string? Owner = null);

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

    public const string Interrupted = "interrupted";

    public Task SaveAsync(Run run, string project, CancellationToken cancellationToken) =>
        WriteAsync(ToRecord(run, project) with { Owner = OwnerIdentity.Current.ToString() }, cancellationToken);

    private async Task WriteAsync(RunRecord record, CancellationToken cancellationToken)
    {
        var path = layout.RunRecord(record.Id);
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

    /// <summary>
    /// Marks the runs whose process died before they finished (kill -9, a crash, a power cut) as <c>interrupted</c>: the
    /// record says so, its unfinished jobs and attempts too, and each attempt that was running ends its log with a line
    /// saying what happened. Runs of live processes (another <c>pipeliner run</c> at work) are left alone.
    /// </summary>
    /// <returns>The runs marked, as now recorded.</returns>
    public async Task<IReadOnlyList<RunRecord>> MarkInterruptedAsync(TimeProvider time, CancellationToken cancellationToken)
    {
        var marked = new List<RunRecord>();
        if (!Directory.Exists(layout.RunsDirectory)) return marked;
        foreach (var directory in Directory.EnumerateDirectories(layout.RunsDirectory))
        {
            var record = TryLoad(Path.Combine(directory, "run.json"));
            if (record is null || record.Status is not ("queued" or "running")) continue;
            if (OwnerIdentity.Parse(record.Owner)?.IsAlive() == true) continue;

            var why = $"interrupted: the pipeliner process that ran it ({record.Owner ?? "unknown"}) ended before it finished";
            foreach (var attempt in record.Jobs.SelectMany(j => j.Attempts).Where(a => a.FinishedAt is null))
                await JobLogWriter.AppendToAbandonedAsync(Path.Combine(layout.Root, attempt.Log), $"pipeliner: attempt {why}", time);
            var interrupted = record with
            {
                Status = Interrupted,
                Jobs = record.Jobs.Select(j => j.Status is "queued" or "pending" or "running"
                    ? j with
                    {
                        Status = Interrupted,
                        Reason = why,
                        Attempts = j.Attempts.Select(a => a.FinishedAt is null ? a with { Status = Interrupted, Message = why } : a).ToList(),
                    }
                    : j).ToList(),
            };
            await WriteAsync(interrupted, cancellationToken);
            marked.Add(interrupted);
        }

        return marked;
    }

    public RunRecord? Load(string runId) => TryLoad(layout.RunRecord(runId));

    private static RunRecord? TryLoad(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<RunRecord>(File.ReadAllText(path), Json);
        }
        catch (JsonException)
        {
            // Not a record this version can read: left as it is.
            return null;
        }
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
