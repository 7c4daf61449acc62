using Microsoft.EntityFrameworkCore;
using Pipeliner.Engine.Storage;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Dashboard;

/// <summary>An attempt of a job and where its log file is.</summary>
public sealed record AttemptLog(AttemptEntity Attempt, string Path)
{
    public bool Complete => Attempt.FinishedAt is not null;

    /// <summary>The attempt (default: the newest) of a run's job, or why there is none.</summary>
    public static async Task<(AttemptLog? Log, string? Problem)> FindAsync(
        PipelinerDbContext db, DataLayout layout, long runId, string job, int? attempt, CancellationToken cancellationToken)
    {
        var attempts = await db.Attempts.AsNoTracking()
            .Where(a => a.Job!.RunId == runId && a.Job.JobId == job)
            .OrderBy(a => a.Number)
            .ToListAsync(cancellationToken);
        if (attempts.Count == 0)
        {
            var jobExists = await db.Jobs.AnyAsync(j => j.RunId == runId && j.JobId == job, cancellationToken);
            return (null, jobExists ? $"job '{job}' has not started yet" : $"run {runId} has no job '{job}'");
        }

        var chosen = attempt is { } number ? attempts.FirstOrDefault(a => a.Number == number) : attempts[^1];
        if (chosen is null) return (null, $"job '{job}' has no attempt {attempt}");
        return (new AttemptLog(chosen, System.IO.Path.Combine(layout.Root, chosen.LogPath)), null);
    }

    /// <summary>Opens the log for reading while the agent may still append to it; an empty stream when none was written yet.</summary>
    public Stream Open() => File.Exists(Path)
        ? new FileStream(Path, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.ReadWrite | FileShare.Delete,
            BufferSize = 0,
            Options = FileOptions.SequentialScan,
        })
        : new MemoryStream();
}
