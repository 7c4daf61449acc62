using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.TestSupport.Seeding;

/// <summary>A server in the test process whose database and data directory tests write to directly.</summary>
public interface ISeedTarget
{
    string DataDir { get; }

    Task WithDbAsync(Func<PipelinerDbContext, Task> use);
}

/// <summary>
/// Projects, runs, jobs and attempts written straight into a server's database (no agent), with log files where the
/// server looks for them: for tests of what the server shows and searches, not of how runs come to be.
/// </summary>
public sealed class RunSeed(ISeedTarget server)
{
    /// <summary>The timestamp every seeded log line carries.</summary>
    public const string Timestamp = "2026-11-26T21:59:45.123Z";

    private static int _projects;

    /// <summary>Stored log lines: the timestamp, a space, the text, a line feed.</summary>
    public static string Log(params string[] lines) => string.Concat(lines.Select(line => $"{Timestamp} {line}\n"));

    public async Task<ProjectEntity> ProjectAsync(string hint = "seed")
    {
        var project = new ProjectEntity
        {
            // Apart from the names tests make themselves ({hint}-1, …).
            Name = $"{hint}-seeded-{Interlocked.Increment(ref _projects)}",
            Repository = "https://example.com/repo.git",
            Forge = "github",
            WebhookSecretProtected = "not used",
            PipelineFile = ".pipeliner.yml",
            DefaultBranch = "main",
            CreatedAt = DateTimeOffset.UtcNow,
        };
        await server.WithDbAsync(async db =>
        {
            db.Projects.Add(project);
            await db.SaveChangesAsync();
        });
        return project;
    }

    /// <summary>A run created now, not finished, with these jobs (no attempts yet).</summary>
    public Task<RunEntity> RunAsync(
        ProjectEntity project, string status, string? branch = "main", int? pullRequest = null, params (string Id, string Status)[] jobs) =>
        AddRunAsync(project, status, branch, pullRequest, DateTimeOffset.UtcNow, null, jobs);

    private async Task<RunEntity> AddRunAsync(
        ProjectEntity project, string status, string? branch, int? pullRequest, DateTimeOffset createdAt, DateTimeOffset? finishedAt,
        IEnumerable<(string Id, string Status)> jobs)
    {
        var run = new RunEntity
        {
            ProjectId = project.Id,
            Number = ++project.LastRunNumber,
            Status = status,
            Event = pullRequest is null ? "push" : "pull_request",
            Branch = branch,
            CommitSha = new string('a', 40),
            PullRequestNumber = pullRequest,
            SourceBranch = pullRequest is null ? null : "feature/x",
            Trigger = "test",
            CreatedAt = createdAt,
            FinishedAt = finishedAt,
        };
        var position = 0;
        foreach (var (id, jobStatus) in jobs) run.Jobs.Add(new JobEntity { JobId = id, Stage = "test", Status = jobStatus, Position = position++ });
        await server.WithDbAsync(async db =>
        {
            db.Runs.Add(run);
            db.Projects.Update(project);
            await db.SaveChangesAsync();
        });
        return run;
    }

    /// <summary>
    /// A finished run, created at <paramref name="createdAt"/> and finished a minute later, whose jobs each have one
    /// attempt, finished with the run's status, that logged <c>Lines</c>.
    /// </summary>
    public async Task<RunEntity> FinishedRunAsync(
        ProjectEntity project, string status, string branch, DateTimeOffset createdAt, params (string Job, string[] Lines)[] jobs)
    {
        var run = await AddRunAsync(project, status, branch, null, createdAt, createdAt.AddMinutes(1), jobs.Select(j => (j.Job, status)));
        foreach (var (job, lines) in jobs)
            await AttemptAsync(run, job, 1, Log(lines), status: status, startedAt: createdAt, finishedAt: createdAt.AddMinutes(1));
        return run;
    }

    /// <summary>
    /// An attempt of a job whose log holds <paramref name="log"/> (as stored), finished (default: failed, now) or still
    /// running; returns the log file's path.
    /// </summary>
    public async Task<string> AttemptAsync(
        RunEntity run, string jobId, int number, string log, bool finished = true, string? status = null,
        DateTimeOffset? startedAt = null, DateTimeOffset? finishedAt = null)
    {
        var relative = $"runs/{run.Id}/logs/{jobId}/{number}.log";
        var path = Path.Combine(server.DataDir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, log);
        await server.WithDbAsync(async db =>
        {
            var job = db.Jobs.Single(j => j.RunId == run.Id && j.JobId == jobId);
            db.Attempts.Add(new AttemptEntity
            {
                JobId = job.Id,
                Number = number,
                Status = status ?? (finished ? "failed" : "running"),
                StartedAt = startedAt ?? DateTimeOffset.UtcNow,
                FinishedAt = finished ? finishedAt ?? DateTimeOffset.UtcNow : null,
                LogPath = relative,
            });
            await db.SaveChangesAsync();
        });
        return path;
    }
}
