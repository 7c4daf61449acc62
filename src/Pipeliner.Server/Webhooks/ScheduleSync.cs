using Hangfire;
using Hangfire.Storage;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Core.Model;
using Pipeliner.Engine.Workspaces;
using Pipeliner.Server.Data;
using Pipeliner.Server.Runs;

namespace Pipeliner.Server.Webhooks;

/// <summary>
/// Keeps one Hangfire recurring job per <c>on.schedule</c> cron of a project, as the pipeline file on the default
/// branch says; called when a project is registered and when its default branch moves (Hangfire keeps them across restarts).
/// </summary>
public sealed class ScheduleSync(PipelinerDbContext db, WorkspacePreparer workspaces, IRecurringJobManager recurring, JobStorage storage, ILogger<ScheduleSync> logger)
{
    public async Task SyncAsync(int projectId, CancellationToken cancellationToken)
    {
        var project = await db.Projects.AsNoTracking().FirstAsync(p => p.Id == projectId, cancellationToken);
        var prefix = $"schedule:{project.Name}:";
        IReadOnlyList<string> crons = [];
        try
        {
            // An archived project has no schedules; unarchiving syncs them again.
            if (project.ArchivedAt is null)
            {
                var mirror = await workspaces.UpdateAsync(project.Name, project.Repository, cancellationToken);
                var pipeline = PipelineText.Load(mirror, project.DefaultBranch, project.PipelineFile, PipelineLimits.Default).Loaded?.Pipeline;
                crons = pipeline?.Triggers.Schedules.Select(s => s.Expression).ToList() ?? [];
            }
        }
        catch (WorkspaceException e)
        {
            logger.LogWarning("Schedules of {Project} not updated: {Reason}", project.Name, e.Message);
            return;
        }

        for (var i = 0; i < crons.Count; i++)
            recurring.AddOrUpdate<ScheduledRunJob>($"{prefix}{i}", job => job.RunAsync(projectId), crons[i], new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });

        using var connection = storage.GetConnection();
        foreach (var stale in connection.GetRecurringJobs().Where(j => j.Id.StartsWith(prefix, StringComparison.Ordinal)).Skip(crons.Count))
            recurring.RemoveIfExists(stale.Id);
    }
}
