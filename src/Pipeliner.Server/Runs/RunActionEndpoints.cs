using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Core.Runs;
using Pipeliner.Server.Audit;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Environments;
using Pipeliner.Server.Http;
using Pipeliner.Server.Scheduling;

namespace Pipeliner.Server.Runs;

/// <summary>Which jobs to run again: the named ones, all of them, or (neither given) the failed ones.</summary>
public sealed record RetryRunRequest(IReadOnlyList<string>? Jobs, bool All = false);

/// <summary>What people do to a run: cancel it, retry jobs, approve a manual job (see <see cref="Promotions"/>). Each answers 202 or a problem.</summary>
public static class RunActionEndpoints
{
    public static void MapRunActions(this RouteGroupBuilder run)
    {
        run.MapPost("/cancel", CancelAsync).RequireAuthorization(Policies.Developer)
            .WithProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        run.MapPost("/retry", RetryAsync).RequireAuthorization(Policies.Developer)
            .WithProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        // Release managers approve manual jobs; a job with an environment follows that environment's requiredRole.
        run.MapPost("/jobs/{job}/approve", ApproveAsync).RequireAuthorization(Policies.Developer)
            .WithProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
    }

    /// <summary>How a change went: done, or refused with a problem.</summary>
    private sealed record Outcome(ProblemHttpResult? Refusal);

    private static readonly Outcome Done = new(Refusal: null);

    private static async Task<Results<Accepted, ProblemHttpResult>> CancelAsync(
        long id, RunCoordinator coordinator, PipelinerDbContext db, AuditTrail audit, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        var outcome = await coordinator.ChangeAsync(id, change =>
        {
            if (change.Run.Status.IsFinished()) return Refused(Problems.Conflict($"run {id} is {change.Run.Status.ToName()} already"));
            change.Run.Cancel($"canceled by {user.Identity?.Name}", change.Now);
            return Done;
        }, cancellationToken);
        return await AnswerAsync(id, outcome, db, audit, new AuditEvent("run.cancel", null, $"run {id}"), cancellationToken);
    }

    private static async Task<Results<Accepted, ProblemHttpResult>> RetryAsync(
        long id, RetryRunRequest? request, RunCoordinator coordinator, PipelinerDbContext db, AuditTrail audit,
        CancellationToken cancellationToken)
    {
        if (await Retention.ExpiredParts.NoMoreJobsAsync(db, id, cancellationToken) is { } expired) return expired;
        var outcome = await coordinator.ChangeAsync(id, change =>
            RunRetry.Apply(change.Run, request?.Jobs, request?.All ?? false) is { Length: > 0 } refusal ? Refused(Problems.Conflict(refusal)) : Done,
            cancellationToken);
        var which = request?.Jobs is { Count: > 0 } jobs ? $"jobs {string.Join(", ", jobs)}" : request?.All == true ? "all jobs" : "failed jobs";
        return await AnswerAsync(id, outcome, db, audit, new AuditEvent("run.retry", null, $"run {id}", which), cancellationToken);
    }

    private static Task<Results<Accepted, ProblemHttpResult>> ApproveAsync(
        long id, string job, Promotions promotions, ClaimsPrincipal user, CancellationToken cancellationToken) =>
        promotions.ApproveAsync(id, job, user, cancellationToken);

    private static Outcome Refused(ProblemHttpResult problem) => new(problem);

    /// <summary>
    /// No outcome means no run to change: none at all (404), or an invalid one, which has no jobs (409).
    /// A change made is written to the audit log, with the run's project.
    /// </summary>
    private static async Task<Results<Accepted, ProblemHttpResult>> AnswerAsync(
        long id, Outcome? outcome, PipelinerDbContext db, AuditTrail audit, AuditEvent change, CancellationToken cancellationToken)
    {
        if (outcome is null)
        {
            return await db.Runs.AnyAsync(r => r.Id == id, cancellationToken)
                ? Problems.Conflict($"run {id} is invalid: it has no jobs to cancel, retry or approve")
                : Problems.NotFound($"no run {id}");
        }

        if (outcome.Refusal is { } refusal) return refusal;
        var project = await db.Runs.Where(r => r.Id == id).Select(r => r.Project!.Name).FirstAsync(cancellationToken);
        await audit.RecordAsync(change with { Project = project }, CancellationToken.None);
        return TypedResults.Accepted($"/api/runs/{id}");
    }
}
