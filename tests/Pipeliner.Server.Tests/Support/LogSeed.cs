using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Logs.Search;

namespace Pipeliner.Server.Tests.Support;

/// <summary>Projects, runs and attempts written straight into a server without agent, with log files where the server looks for them.</summary>
public sealed class LogSeed(PipelinerApp app)
{
    public async Task<ProjectEntity> ProjectAsync(string hint = "logs")
    {
        var project = new ProjectEntity
        {
            Name = app.NewProjectName(hint),
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

    /// <summary>A finished run whose jobs each have one finished attempt with the given log lines (stored format added).</summary>
    public async Task<RunEntity> RunAsync(ProjectEntity project, string status, string branch, DateTimeOffset createdAt, params (string Job, string[] Lines)[] jobs)
    {
        var run = new RunEntity
        {
            ProjectId = project.Id,
            Number = ++project.LastRunNumber,
            Status = status,
            Event = "push",
            Branch = branch,
            CommitSha = new string('a', 40),
            Trigger = "test",
            CreatedAt = createdAt,
            FinishedAt = createdAt.AddMinutes(1),
        };
        var position = 0;
        foreach (var (job, _) in jobs) run.Jobs.Add(new JobEntity { JobId = job, Stage = "test", Status = status, Position = position++ });
        await app.WithDbAsync(async db =>
        {
            db.Runs.Add(run);
            db.Projects.Update(project);
            await db.SaveChangesAsync();
        });

        foreach (var (job, lines) in jobs)
        {
            var relative = $"runs/{run.Id}/logs/{job}/1.log";
            var path = Path.Combine(app.DataDir, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, Log(lines));
            await app.WithDbAsync(async db =>
            {
                var entity = db.Jobs.Single(j => j.RunId == run.Id && j.JobId == job);
                db.Attempts.Add(new AttemptEntity
                {
                    JobId = entity.Id,
                    Number = 1,
                    Status = status,
                    StartedAt = createdAt,
                    FinishedAt = createdAt.AddMinutes(1),
                    LogPath = relative,
                });
                await db.SaveChangesAsync();
            });
        }

        return run;
    }

    /// <summary>Indexes (and compresses) every ended attempt now, as the background pass would.</summary>
    public Task<int> SealAllAsync() => app.Services.GetRequiredService<LogSealer>().CatchUpAsync(CancellationToken.None);

    public static string Log(params string[] lines) => string.Concat(lines.Select(line => $"2026-12-04T09:59:45.123Z {line}\n"));
}
