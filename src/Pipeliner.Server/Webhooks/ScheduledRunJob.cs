using Hangfire;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Core.Model;
using Pipeliner.Server.Data;
using Pipeliner.Server.Projects;
using Pipeliner.Server.Runs;

namespace Pipeliner.Server.Webhooks;

/// <summary>A cron of <c>on.schedule</c> fired (Hangfire recurring job, by project id): a run of the default branch.</summary>
public sealed class ScheduledRunJob(PipelinerDbContext db, RunFactory factory, ILogger<ScheduledRunJob> logger)
{
    [AutomaticRetry(Attempts = 3, DelaysInSeconds = [5, 30, 120])]
    public async Task RunAsync(int projectId)
    {
        var project = await db.Projects.FirstOrDefaultAsync(p => p.Id == projectId);
        if (project is null) return;
        if (project.WhyNoNewRuns() is { } archived)
        {
            logger.LogInformation("Scheduled run of {Project} not started: {Reason}", project.Name, archived);
            return;
        }

        var creation = await factory.CreateAsync(project,
            new TriggerRequest { Event = EventKind.Schedule, Branch = project.DefaultBranch, Trigger = "schedule" }, CancellationToken.None);
        logger.LogInformation("Scheduled run of {Project}: {Creation}", project.Name, creation);
    }
}
