using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Core.Planning;
using Pipeliner.Engine.Workspaces;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Http;

using Pipeliner.Server.Projects;

namespace Pipeliner.Server.Runs;

/// <summary>What a manual run would do, before it starts: each job's decision and why.</summary>
/// <param name="Runs">Whether a run would be made at all (false: no pipeline file, or the pipeline does not run for this).</param>
/// <param name="Errors">The pipeline's problems with their lines: the run would be invalid.</param>
public sealed record PlanPreviewResponse(
    string? Commit, string? Branch, bool Runs, string? Reason, IReadOnlyList<string> Stages, IReadOnlyList<PlanPreviewJob> Jobs,
    IReadOnlyList<RunErrorResponse> Errors);

/// <param name="Decision"><c>run</c>, <c>skip</c> or <c>manual</c>.</param>
public sealed record PlanPreviewJob(string Id, string Stage, string Decision, string? Reason, IReadOnlyList<string> Needs, string? Environment);

/// <summary>
/// <c>POST /api/projects/{project}/plan</c>: reads the pipeline at the branch or commit a manual run would use and plans it
/// as <c>POST /api/projects/{project}/runs</c> would, storing nothing.
/// </summary>
public static class PlanPreviewEndpoint
{
    public static void MapPlanPreview(this IEndpointRouteBuilder app) =>
        app.MapGroup("/api/projects/{project}/plan").WithTags("Runs").WithAuthProblems()
            .MapPost("/", PreviewAsync).RequireAuthorization(Policies.Developer)
            .WithProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity);

    private static async Task<Results<Ok<PlanPreviewResponse>, ProblemHttpResult>> PreviewAsync(
        string project, TriggerRunRequest? request, PipelinerDbContext db, RunFactory factory, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        var entity = await db.Projects.AsNoTracking().FirstOrDefaultAsync(p => p.Name == project, cancellationToken);
        if (entity is null) return Problems.NotFound($"no project '{project}'");
        if (entity.WhyNoNewRuns() is { } archived) return Problems.Conflict(archived);
        if (RunEndpoints.WhyInvalid(request) is { } invalid) return Problems.BadRequest(invalid);

        var trigger = RunEndpoints.ManualTrigger(entity, request, user);
        RunPreparation preparation;
        try
        {
            preparation = await factory.PrepareAsync(entity, trigger, cancellationToken);
        }
        catch (WorkspaceException e)
        {
            return Problems.Unprocessable(e.Message);
        }

        return TypedResults.Ok(preparation switch
        {
            RunPreparation.NoRun { Creation: RunCreation.NoPipeline(var message) } => NoRun(trigger, message),
            RunPreparation.NoRun { Creation: RunCreation.NotTriggered(var reason) } => NoRun(trigger, $"no run: {reason}"),
            RunPreparation.Ready { Loaded.Pipeline: null } ready => new PlanPreviewResponse(
                ready.Context.CommitSha, trigger.Branch, true, "the pipeline is invalid: the run would fail at once", [], [],
                ready.Loaded.Diagnostics.Select(d => new RunErrorResponse(d.Location.Line, d.Location.Column, d.Message)).ToList()),
            RunPreparation.Ready ready => Planned(ready),
            _ => throw new InvalidOperationException("unknown run preparation"),
        });
    }

    private static PlanPreviewResponse NoRun(TriggerRequest trigger, string reason) =>
        new(trigger.CommitSha, trigger.Branch, false, reason, [], [], []);

    private static PlanPreviewResponse Planned(RunPreparation.Ready ready)
    {
        var plan = PipelinePlanner.Plan(ready.Loaded.Pipeline!, ready.Context);
        var jobs = plan.Jobs.Select(job => new PlanPreviewJob(
            job.Id, job.Stage, job.Decision.ToString().ToLowerInvariant(), job.Reason, job.Needs, job.Spec.Environment)).ToList();
        return new PlanPreviewResponse(ready.Context.CommitSha, ready.Context.Branch, plan.Triggered, plan.Reason, plan.Stages, jobs, []);
    }
}
