using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Core;
using Pipeliner.Core.Model;
using Pipeliner.Core.Planning;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Workspaces;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.ForgeStatuses;
using Pipeliner.Server.Scheduling;

namespace Pipeliner.Server.Runs;

/// <summary>
/// Turns a trigger into a run: brings the project's mirror up to the commit, reads the pipeline file there,
/// validates and plans it, stores the run, cancels older runs when the pipeline asks for it, and starts it.
/// </summary>
public sealed class RunFactory(
    PipelinerDbContext db, WorkspacePreparer workspaces, RunCoordinator coordinator, ForgeStatusOutbox forgeStatuses, TimeProvider time,
    ILogger<RunFactory> logger)
{
    public async Task<RunCreation> CreateAsync(ProjectEntity project, TriggerRequest trigger, CancellationToken cancellationToken)
    {
        var commit = trigger.CommitSha;
        GitRepositoryMirror mirror;
        if (commit is null)
        {
            mirror = await workspaces.UpdateAsync(project.Name, project.Repository, cancellationToken);
            commit = mirror.ResolveCommit(trigger.Tag ?? trigger.Branch ?? project.DefaultBranch);
        }
        else
        {
            mirror = await workspaces.EnsureCommitAsync(project.Name, project.Repository, commit, cancellationToken, trigger.CommitRef);
            commit = mirror.ResolveCommit(commit);
        }

        var text = mirror.ReadFile(commit, project.PipelineFile);
        if (text is null) return new RunCreation.NoPipeline($"no {project.PipelineFile} at commit {commit[..Math.Min(12, commit.Length)]}");

        var loaded = PipelineLoader.Load(text);
        var context = new TriggerContext
        {
            Event = trigger.Event,
            Branch = trigger.Event == EventKind.Tag ? null : trigger.Branch,
            Tag = trigger.Tag,
            ChangedPaths = trigger.ChangedPaths,
            Project = project.Name,
            CommitSha = commit,
        };
        if (loaded.Pipeline is null) return new RunCreation.Invalid(await StoreInvalidAsync(project, trigger, context, loaded, cancellationToken));
        if (EventMatcher.WhyNotTriggered(loaded.Pipeline.Triggers, context) is { } whyNot) return new RunCreation.NotTriggered(whyNot);

        var entity = await ReserveAsync(project, trigger, context, RunStatus.Queued, cancellationToken);
        var plan = WithVariables(PipelinePlanner.Plan(loaded.Pipeline, context with { RunId = RunStore.RunKey(entity.Id) }), trigger.Variables);
        var run = new Run(RunStore.RunKey(entity.Id), plan, entity.CreatedAt);
        var planned = RunStore.NewRun(project, plan, run, Metadata(entity, trigger));
        entity.PlanJson = planned.PlanJson;
        entity.Jobs = planned.Jobs;
        await db.SaveChangesAsync(cancellationToken);

        if (loaded.Pipeline.Concurrency == ConcurrencyPolicy.CancelPrevious && context.Branch is not null)
            await CancelPreviousAsync(project, entity, cancellationToken);
        await coordinator.AdvanceAsync(entity.Id, cancellationToken);
        return new RunCreation.Created(entity.Id);
    }

    private async Task<RunEntity> ReserveAsync(ProjectEntity project, TriggerRequest trigger, TriggerContext context, RunStatus status, CancellationToken cancellationToken)
    {
        var number = await RunNumbers.NextAsync(db, project.Id, cancellationToken);
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
        db.Runs.Add(entity);
        await db.SaveChangesAsync(cancellationToken);
        return entity;
    }

    private async Task<long> StoreInvalidAsync(ProjectEntity project, TriggerRequest trigger, TriggerContext context, PipelineLoadResult loaded, CancellationToken cancellationToken)
    {
        var entity = await ReserveAsync(project, trigger, context, RunStatus.Invalid, cancellationToken);
        entity.ErrorsJson = JsonSerializer.Serialize(
            loaded.Diagnostics.Select(d => new RunErrorResponse(d.Location.Line, d.Location.Column, d.Message)), JsonSerializerOptions.Web);
        entity.FinishedAt = entity.CreatedAt;
        // An invalid run never passes the coordinator: its one status is said here.
        var statuses = await forgeStatuses.StageAsync(project, entity, entity.CreatedAt);
        await db.SaveChangesAsync(cancellationToken);
        forgeStatuses.Enqueue(statuses);
        return entity.Id;
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
