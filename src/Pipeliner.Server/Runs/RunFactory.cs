using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Core;
using Pipeliner.Core.Model;
using Pipeliner.Core.Planning;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Workspaces;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.ForgeStatuses;
using Pipeliner.Server.Scheduling;
using Pipeliner.Server.Settings;

using Pipeliner.Server.Projects;

namespace Pipeliner.Server.Runs;

/// <summary>
/// Turns a trigger into a run: brings the project's mirror up to the commit, reads the pipeline file there,
/// validates it (<see cref="PrepareAsync"/>) and plans it (<see cref="Plan"/>), nothing stored yet, stores the run in one
/// short transaction that only inserts (<see cref="StoreAsync"/>), then cancels older runs when the pipeline asks for it and starts it (<see cref="StartAsync"/>).
/// </summary>
public sealed class RunFactory(
    PipelinerDbContext db, WorkspacePreparer workspaces, RunCoordinator coordinator, ForgeStatusOutbox forgeStatuses, TimeProvider time,
    IOptions<PipelinerOptions> options, Agents.SourceArchives sources, RunLocks locks, Data.Providers.IDatabaseProvider database,
    ProjectWrites projectWrites, Logs.LogMasking masking, Logs.Search.IndexedRuns indexedRuns, Agents.RemoteAgentPresence remoteAgents, ILogger<RunFactory> logger)
{
    public async Task<RunCreation> CreateAsync(ProjectEntity project, TriggerRequest trigger, CancellationToken cancellationToken)
    {
        var preparation = await PrepareAsync(project, trigger, cancellationToken);
        if (preparation is not RunPreparation.Ready ready) return ((RunPreparation.NoRun)preparation).Creation;
        var planned = Plan(ready);

        StoredRun stored;
        await using (var transaction = await BeginStoreAsync(cancellationToken))
        {
            stored = await StoreAsync(planned, cancellationToken);
            try
            {
                await transaction.CommitAsync(cancellationToken);
            }
            catch
            {
                stored.Abandon();
                throw;
            }
        }

        await StartAsync(stored, cancellationToken);
        return stored.Creation;
    }

    /// <summary>Fetches the commit and reads its pipeline: no run (and why), or a pipeline to store. Writes nothing to the database.</summary>
    /// <exception cref="WorkspaceException">The repository or the commit cannot be read.</exception>
    public async Task<RunPreparation> PrepareAsync(ProjectEntity project, TriggerRequest trigger, CancellationToken cancellationToken)
    {
        // A delivery accepted before its project was archived makes no run after.
        if (project.WhyNoNewRuns() is { } archived) return new RunPreparation.NoRun(new RunCreation.NotTriggered(archived));
        var reference = trigger.CommitSha;
        var mirror = reference is null
            ? await workspaces.UpdateAsync(project.Name, project.Repository, cancellationToken)
            : await workspaces.EnsureCommitAsync(project.Name, project.Repository, reference, cancellationToken, trigger.CommitRef);
        // The commit's full id and its pipeline file, read with one opening of the mirror.
        var (commit, loaded) = PipelineText.Load(mirror, reference ?? trigger.Tag ?? trigger.Branch ?? project.DefaultBranch,
            project.PipelineFile, options.Value.Limits.ToPipelineLimits());
        if (loaded is null) return new RunPreparation.NoRun(new RunCreation.NoPipeline($"no {project.PipelineFile} at commit {commit[..Math.Min(12, commit.Length)]}"));

        var context = new TriggerContext
        {
            Event = trigger.Event,
            Branch = trigger.Event == EventKind.Tag ? null : trigger.Branch,
            Tag = trigger.Tag,
            ChangedPaths = trigger.ChangedPaths,
            Project = project.Name,
            CommitSha = commit,
        };
        if (loaded.Pipeline is not null && EventMatcher.WhyNotTriggered(loaded.Pipeline.Triggers, context) is { } whyNot)
            return new RunPreparation.NoRun(new RunCreation.NotTriggered(whyNot));
        return new RunPreparation.Ready(project, trigger, context, loaded);
    }

    /// <summary>
    /// Plans the run before anything is stored: the plan made and written to JSON (with a placeholder for the run's id,
    /// <see cref="PlanTemplate"/>) and its job rows made, or an invalid pipeline's errors written, so that
    /// <see cref="StoreAsync"/> only inserts while it holds the database's write lock.
    /// </summary>
    public PlannedRun Plan(RunPreparation.Ready ready)
    {
        var (_, trigger, context, loaded) = ready;
        if (loaded.Pipeline is null) return new PlannedRun(ready, null, [], ErrorsJson(loaded.Diagnostics), false);

        var placeholder = PlanTemplate.NewPlaceholder();
        var plan = WithVariables(PipelinePlanner.Plan(loaded.Pipeline, context with { RunId = placeholder }), trigger.Variables);
        var jobs = RunStore.NewJobs(new Run(placeholder, plan, time.GetUtcNow()));
        var cancelPrevious = loaded.Pipeline.Concurrency == ConcurrencyPolicy.CancelPrevious && context.Branch is not null;
        return new PlannedRun(ready, PlanTemplate.Write(plan), jobs, null, cancelPrevious);
    }

    /// <summary>
    /// The transaction <see cref="StoreAsync"/> runs in. Without EF Core's savepoints around each save: a failure rolls
    /// the whole transaction back, so they would only add statements while the write lock is held.
    /// </summary>
    public async Task<Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction> BeginStoreAsync(CancellationToken cancellationToken)
    {
        db.Database.AutoSavepointsEnabled = false;
        return await db.Database.BeginTransactionAsync(cancellationToken);
    }

    /// <summary>
    /// Stores the planned run (an invalid one with its errors) with its number, plan and jobs: inserts only, nothing read
    /// but the project's run number. The caller holds a transaction around it (<see cref="BeginStoreAsync"/>), so that a
    /// run is stored whole or not at all, and commits it before <see cref="StartAsync"/>.
    /// </summary>
    public async Task<StoredRun> StoreAsync(PlannedRun planned, CancellationToken cancellationToken)
    {
        var (project, trigger, context, _) = planned.Ready;
        if (planned.Plan is not { } plan) return await StoreInvalidAsync(planned.Ready, planned.ErrorsJson!, cancellationToken);

        // The JSON is both what is stored and what the plan's size is measured by.
        if (PlanTooLarge(plan.Bytes) is { } tooLarge) return await StoreInvalidAsync(planned.Ready, ErrorsJson([tooLarge]), cancellationToken);

        // The run inserted with its plan and jobs: one save, no update of the plan once the insert gave the run its id.
        var (entity, projectRow, projectStamp) = await ReserveAsync(project, trigger, context, RunStatus.Queued, cancellationToken,
            run => { run.PlanJson = plan.Json; run.Jobs = [.. planned.Jobs]; });
        return new StoredRun(new RunCreation.Created(entity.Id), project, planned.CancelsPrevious ? entity : null, [],
            database.SupportsReplicas ? null : await HandoverAsync(entity, projectRow, projectStamp, cancellationToken), entity.CommitSha, entity);
    }

    /// <summary>
    /// The stored run for its first advance, so that it is not read back: its rows as inserted (no context tracks them), and
    /// the run's lock, taken now, before the commit (<see cref="StoredRunHandover"/>).
    /// </summary>
    private async Task<StoredRunHandover> HandoverAsync(RunEntity entity, ProjectEntity projectRow, long projectStamp, CancellationToken cancellationToken)
    {
        var runLock = await locks.AcquireAsync(entity.Id, cancellationToken);
        return new StoredRunHandover(entity, [.. entity.Jobs], projectRow, projectStamp, runLock);
    }

    /// <summary>
    /// After the store is committed: reports an invalid run to the forge, or cancels older runs if asked and starts the new
    /// one. Releases the run's lock the store took, whatever happens.
    /// </summary>
    public async Task StartAsync(StoredRun stored, CancellationToken cancellationToken)
    {
        using var handover = stored.Handover;
        forgeStatuses.Enqueue(stored.Statuses);
        if (stored.Creation is not RunCreation.Created created) return;
        masking.NoteRun(created.RunId, stored.Project.Id);
        if (stored.Row is { } row) indexedRuns.Note(row, stored.Project.Name);
        if (stored.CancelsOlderThan is { } newer) await CancelPreviousAsync(stored.Project, newer, cancellationToken);
        // Remote agents get the commit as a tar from the server: made now, while the run's first jobs wait for an agent,
        // and only when an agent other than the embedded one (which clones from the mirror) may take them.
        if (stored.CommitSha is { } commit && await remoteAgents.AnyAsync(db, cancellationToken)) sources.Prepare(stored.Project.Name, stored.Project.Repository, commit);
        await coordinator.AdvanceStoredAsync(created.RunId, handover, cancellationToken);
    }

    /// <returns>The run's row inserted, and the project's row as the run number's update returned it, with the stamp taken before.</returns>
    private async Task<(RunEntity Run, ProjectEntity ProjectRow, long ProjectStamp)> ReserveAsync(
        ProjectEntity project, TriggerRequest trigger, TriggerContext context, RunStatus status, CancellationToken cancellationToken,
        Action<RunEntity>? complete = null)
    {
        var projectStamp = projectWrites.Stamp;
        var projectRow = await RunNumbers.TakeNextAsync(db, project.Id, cancellationToken);
        var number = projectRow.LastRunNumber;
        var entity = new RunEntity
        {
            ProjectId = project.Id,
            Number = number,
            Status = status.ToName(),
            Event = context.Event.ToName(),
            Branch = context.Branch,
            Tag = context.Tag,
            CommitSha = context.CommitSha,
            CommitMessage = trigger.CommitMessage,
            Author = trigger.Author,
            PullRequestNumber = trigger.PullRequestNumber,
            SourceBranch = trigger.SourceBranch,
            FromFork = trigger.FromFork,
            Trigger = trigger.Trigger,
            CreatedAt = time.GetUtcNow(),
        };
        complete?.Invoke(entity);
        // Not tracked: the rows are inserted as they are, and handed to the first advance as they are (RunRows).
        await RunRows.InsertAsync(db, entity, cancellationToken);
        return (entity, projectRow, projectStamp);
    }

    /// <summary>The run stored invalid, with its errors, and finished at once; its one commit status staged.</summary>
    private async Task<StoredRun> StoreInvalidAsync(RunPreparation.Ready ready, string errorsJson, CancellationToken cancellationToken)
    {
        var (project, trigger, context, _) = ready;
        var (entity, _, _) = await ReserveAsync(project, trigger, context, RunStatus.Invalid, cancellationToken, run =>
        {
            run.ErrorsJson = errorsJson;
            run.FinishedAt = run.CreatedAt;
        });
        // An invalid run never passes the coordinator: its one status is said here.
        var statuses = await forgeStatuses.StageAsync(project, entity, entity.CreatedAt);
        await db.SaveChangesAsync(cancellationToken);
        return new StoredRun(new RunCreation.Invalid(entity.Id), project, null, statuses);
    }

    private async Task CancelPreviousAsync(ProjectEntity project, RunEntity newer, CancellationToken cancellationToken)
    {
        string[] finished = [.. Enum.GetValues<RunStatus>().Where(s => s.IsFinished()).Select(s => s.ToName())];
        var older = await db.Runs
            .Where(r => r.ProjectId == project.Id && r.Branch == newer.Branch && r.Event == newer.Event && r.Id < newer.Id && !finished.Contains(r.Status))
            .Select(r => r.Id)
            .ToListAsync(cancellationToken);
        foreach (var id in older)
        {
            logger.LogInformation("Run {Newer} cancels the older run {Older} of branch {Branch}", newer.Id, id, newer.Branch);
            await coordinator.ChangeAsync(id, change => { change.Run.Cancel($"canceled: run {newer.Number} supersedes it", change.Now); return true; }, cancellationToken);
        }
    }

    /// <summary>The error saying so when the run's stored plan is larger than <c>Pipeliner:Limits:PlanBytes</c>; null otherwise.</summary>
    private Core.Diagnostics.Diagnostic? PlanTooLarge(long size)
    {
        var limit = options.Value.Limits.PlanBytes;
        return size <= limit ? null : new(Core.Diagnostics.SourceLocation.Start,
            $"the run's plan would take {new ByteSize(size)} to store; a run's plan holds at most {new ByteSize(limit)} (Pipeliner:Limits:PlanBytes): fewer jobs, shorter scripts or variables");
    }

    private static string ErrorsJson(IEnumerable<Core.Diagnostics.Diagnostic> diagnostics) => JsonSerializer.Serialize(
        diagnostics.Select(d => new RunErrorResponse(d.Location.Line, d.Location.Column, d.Message)), JsonSerializerOptions.Web);

    private static ExecutionPlan WithVariables(ExecutionPlan plan, IReadOnlyDictionary<string, string> variables)
    {
        if (variables.Count == 0) return plan;
        return plan with
        {
            Jobs = plan.Jobs.Select(job =>
            {
                var merged = new Dictionary<string, string>(job.Spec.Variables, StringComparer.Ordinal);
                foreach (var (name, value) in variables)
                {
                    // Predefined variables keep their meaning whatever a person passes.
                    if (!name.StartsWith("PIPELINER", StringComparison.Ordinal) && name != "CI") merged[name] = value;
                }

                return job with { Spec = job.Spec with { Variables = merged } };
            }).ToList(),
        };
    }

    private static RunMetadata Metadata(RunEntity entity, TriggerRequest trigger) =>
        new(entity.Number, trigger.Trigger, trigger.CommitMessage, trigger.Author, trigger.PullRequestNumber, trigger.SourceBranch);
}
