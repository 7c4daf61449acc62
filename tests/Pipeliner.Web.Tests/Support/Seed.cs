using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Web.Tests.Support;

/// <summary>Runs written straight into the database (no agent), with log files where the server looks for them.</summary>
public sealed class Seed(DashboardApp app)
{
    private static int _projects;

    public async Task<ProjectEntity> ProjectAsync(string hint = "web")
    {
        var project = new ProjectEntity
        {
            Name = $"{hint}-{Interlocked.Increment(ref _projects)}",
            Repository = "https://example.com/repo.git",
            Forge = "github",
            WebhookSecretProtected = "not used",
            PipelineFile = ".pipeliner.yml",
            DefaultBranch = "main",
            CreatedAt = DateTimeOffset.UtcNow,
        };
        await app.WithDbAsync(async db =>
        {
            db.Projects.Add(project);
            await db.SaveChangesAsync();
        });
        return project;
    }

    public async Task<RunEntity> RunAsync(ProjectEntity project, string status, string? branch = "main", int? pullRequest = null,
        params (string Id, string Status)[] jobs)
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
            CreatedAt = DateTimeOffset.UtcNow,
        };
        var position = 0;
        foreach (var (id, jobStatus) in jobs)
        {
            run.Jobs.Add(new JobEntity { JobId = id, Stage = "test", Status = jobStatus, Position = position++ });
        }

        await app.WithDbAsync(async db =>
        {
            db.Runs.Add(run);
            db.Projects.Update(project);
            await db.SaveChangesAsync();
        });
        return run;
    }

    /// <summary>An attempt of a job with this log content, finished or still running.</summary>
    public async Task<string> AttemptAsync(RunEntity run, string jobId, int number, string log, bool finished = true)
    {
        var relative = $"runs/{run.Id}/logs/{jobId}/{number}.log";
        var path = Path.Combine(app.DataDir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, log);
        await app.WithDbAsync(async db =>
        {
            var job = db.Jobs.Single(j => j.RunId == run.Id && j.JobId == jobId);
            db.Attempts.Add(new AttemptEntity
            {
                JobId = job.Id,
                Number = number,
                Status = finished ? "failed" : "running",
                StartedAt = DateTimeOffset.UtcNow,
                FinishedAt = finished ? DateTimeOffset.UtcNow : null,
                LogPath = relative,
            });
            await db.SaveChangesAsync();
        });
        return path;
    }

    /// <summary>Stored log lines: a timestamp, a space, the text.</summary>
    public static string Log(params string[] lines) =>
        string.Concat(lines.Select(line => $"2026-11-26T21:59:45.123Z {line}\n"));
}
