using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Core.Model;
using Pipeliner.Core.Runs;
using Pipeliner.Forges.Refs;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Http;
using Pipeliner.Server.Scheduling;

using Pipeliner.Server.Projects;

namespace Pipeliner.Server.Runs;

public sealed record TriggerRunRequest(string? Branch, string? Commit, Dictionary<string, string>? Variables);

public sealed record TriggerRunResponse(long Id, int Number, string Status);

/// <summary>Runs: list, read, trigger; the actions on a run are in <see cref="RunActionEndpoints"/>.</summary>
public static class RunEndpoints
{
    private const int DefaultPageSize = 20;
    private const int MaxPageSize = 100;

    public static void MapRuns(this IEndpointRouteBuilder app)
    {
        var projectRuns = app.MapGroup("/api/projects/{project}/runs").WithTags("Runs").WithAuthProblems();
        projectRuns.MapGet("/", ListAsync).RequireAuthorization(Policies.Read)
            .WithProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
        projectRuns.MapPost("/", TriggerAsync).RequireAuthorization(Policies.Developer)
            .WithProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity);
        // The number people see (#14 of shop-api), as the dashboard's address /projects/shop-api/runs/14 names it.
        projectRuns.MapGet("/{number:int}", GetByNumberAsync).RequireAuthorization(Policies.Read).WithProblems(StatusCodes.Status404NotFound);

        var runs = app.MapGroup("/api/runs/{id:long}").WithTags("Runs").WithAuthProblems();
        runs.MapGet("/", GetAsync).RequireAuthorization(Policies.Read).WithProblems(StatusCodes.Status404NotFound);
        runs.MapRunActions();
        app.MapPlanPreview();
    }

    private static async Task<Results<Ok<PagedResponse<RunSummaryResponse>>, ProblemHttpResult>> ListAsync(
        string project, string? branch, string? status, string? @event, int? page, int? pageSize,
        PipelinerDbContext db, CancellationToken cancellationToken)
    {
        if (await ProjectIdByName.For(db)(db, project, cancellationToken) is not { } projectId) return Problems.NotFound($"no project '{project}'");
        if (page is < 1) return Problems.BadRequest("page starts at 1");
        if (pageSize is < 1 or > MaxPageSize) return Problems.BadRequest($"pageSize is between 1 and {MaxPageSize}");
        if (@event is not null && !EventKindNames.TryParse(@event, out _))
            return Problems.BadRequest($"event is one of {string.Join(", ", EventKindNames.Names)}");
        if (status is not null && !Enum.GetValues<RunStatus>().Any(s => s.ToName() == status))
            return Problems.BadRequest($"status is one of {string.Join(", ", Enum.GetValues<RunStatus>().Select(s => s.ToName()))}");

        var query = db.Runs.AsNoTracking().Where(r => r.ProjectId == projectId);
        if (branch is not null) query = query.Where(r => r.Branch == branch);
        if (status is not null) query = query.Where(r => r.Status == status);
        if (@event is not null) query = query.Where(r => r.Event == @event);
        var size = pageSize ?? DefaultPageSize;
        var number = page ?? 1;
        var total = await query.CountAsync(cancellationToken);
        var skip = (long)(number - 1) * size;
        var items = skip >= total ? [] : await query.OrderByDescending(r => r.Id).Skip((int)skip).Take(size).SummaryColumns().ToListAsync(cancellationToken);
        return TypedResults.Ok(new PagedResponse<RunSummaryResponse>(items.Select(r => r.ToSummary(project)).ToList(), total, number, size));
    }

    // The runs list is what dashboards and scripts poll: its project's id read with a query compiled once.
    private static readonly CompiledPerModel<Func<PipelinerDbContext, string, CancellationToken, Task<int?>>> ProjectIdByName = new(() =>
        EF.CompileAsyncQuery((PipelinerDbContext db, string name, CancellationToken _) =>
            db.Projects.Where(p => p.Name == name).Select(p => (int?)p.Id).FirstOrDefault()));

    private static async Task<Results<Created<TriggerRunResponse>, ProblemHttpResult>> TriggerAsync(
        string project, TriggerRunRequest? request, PipelinerDbContext db, RunFactory factory, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        var entity = await db.Projects.FirstOrDefaultAsync(p => p.Name == project, cancellationToken);
        if (entity is null) return Problems.NotFound($"no project '{project}'");
        if (entity.WhyNoNewRuns() is { } archived) return Problems.Conflict(archived);
        if (WhyInvalid(request) is { } malformed) return Problems.BadRequest(malformed);

        var trigger = ManualTrigger(entity, request, user);
        RunCreation creation;
        try
        {
            creation = await factory.CreateAsync(entity, trigger, cancellationToken);
        }
        catch (Engine.Workspaces.WorkspaceException e)
        {
            return Problems.Unprocessable(e.Message);
        }

        return creation switch
        {
            RunCreation.Created created => await CreatedAsync(db, created.RunId, cancellationToken),
            RunCreation.Invalid invalid => await CreatedAsync(db, invalid.RunId, cancellationToken),
            RunCreation.NoPipeline(var message) => Problems.Unprocessable(message),
            RunCreation.NotTriggered(var reason) => Problems.Unprocessable($"no run: {reason}"),
            _ => throw new InvalidOperationException("unknown run creation"),
        };
    }

    private static async Task<Results<Created<TriggerRunResponse>, ProblemHttpResult>> CreatedAsync(PipelinerDbContext db, long id, CancellationToken cancellationToken)
    {
        var run = await db.Runs.AsNoTracking().FirstAsync(r => r.Id == id, cancellationToken);
        return TypedResults.Created($"/api/runs/{id}", new TriggerRunResponse(run.Id, run.Number, run.Status));
    }

    private static async Task<Results<Ok<RunResponse>, ProblemHttpResult>> GetAsync(long id, RunReader reader, CancellationToken cancellationToken) =>
        await reader.GetAsync(id, cancellationToken) is { } run ? TypedResults.Ok(run) : Problems.NotFound($"no run {id}");

    private static async Task<Results<Ok<RunResponse>, ProblemHttpResult>> GetByNumberAsync(
        string project, int number, RunReader reader, CancellationToken cancellationToken) =>
        await reader.GetByNumberAsync(project, number, cancellationToken) is { } run
            ? TypedResults.Ok(run)
            : Problems.NotFound($"no run #{number} of project '{project}'");

    /// <summary>Why a manual run's request cannot be taken (branch or commit malformed); null when it can.</summary>
    internal static string? WhyInvalid(TriggerRunRequest? request)
    {
        if (request?.Commit is { } commit && !IsCommitId(commit))
            return "commit is a full or abbreviated hexadecimal commit id; use branch for a branch";
        if (request?.Branch is { } branch && !IsBranchName(branch))
            return $"branch '{branch}' is not a branch name git accepts";
        return null;
    }

    /// <summary>A person's run of <paramref name="project"/>: the branch asked for (else the default branch) or a commit.</summary>
    internal static TriggerRequest ManualTrigger(Data.Entities.ProjectEntity project, TriggerRunRequest? request, ClaimsPrincipal user) => new()
    {
        Event = EventKind.Manual,
        Branch = request?.Branch ?? project.DefaultBranch,
        CommitSha = request?.Commit,
        Trigger = $"manual by {user.Identity?.Name ?? "someone"}",
        Variables = request?.Variables ?? [],
    };

    private static bool IsBranchName(string text) => GitRefs.IsValidRefName(text) && !text.StartsWith('-');

    private static bool IsCommitId(string text) => text.Length is >= 7 and <= 64 && text.All(char.IsAsciiHexDigit);
}
