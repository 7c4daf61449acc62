using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Audit;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Http;

namespace Pipeliner.Server.Environments;

/// <summary>A project's environments: their rules, what is deployed where, promotion of a run, redeploy of a deployment.</summary>
public static class EnvironmentEndpoints
{
    public static void MapEnvironments(this IEndpointRouteBuilder app)
    {
        var environments = app.MapGroup("/api/projects/{project}/environments").WithTags("Environments").WithAuthProblems();
        environments.MapGet("/", ListAsync).RequireAuthorization(Policies.Read).WithProblems(StatusCodes.Status404NotFound);
        environments.MapPut("/{environment}", UpdateAsync).RequireAuthorization(Policies.Admin)
            .ProducesValidationProblem().WithProblems(StatusCodes.Status404NotFound);
        // Who may deploy is the environment's rule (requiredRole); below developer nobody may.
        environments.MapPost("/{environment}/redeploy", RedeployAsync).RequireAuthorization(Policies.Developer)
            .ProducesValidationProblem().WithProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);

        var runs = app.MapGroup("/api/runs/{id:long}").WithTags("Environments").WithAuthProblems();
        runs.MapPost("/promote", PromoteAsync).RequireAuthorization(Policies.Developer)
            .ProducesValidationProblem().WithProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        runs.MapGet("/promotions", PromotionOptionsAsync).RequireAuthorization(Policies.Read).WithProblems(StatusCodes.Status404NotFound);
    }

    private static async Task<Results<Ok<List<EnvironmentResponse>>, ProblemHttpResult>> ListAsync(
        string project, PipelinerDbContext db, CancellationToken cancellationToken)
    {
        var entity = await db.Projects.AsNoTracking().FirstOrDefaultAsync(p => p.Name == project, cancellationToken);
        if (entity is null) return Problems.NotFound($"no project '{project}'");
        var rules = (await db.Environments.AsNoTracking().Where(e => e.ProjectId == entity.Id).ToListAsync(cancellationToken))
            .ToDictionary(e => e.Name, EnvironmentRules.From, StringComparer.Ordinal);
        var deployments = await db.Deployments.AsNoTracking().Where(d => d.ProjectId == entity.Id)
            .OrderByDescending(d => d.Id).Take(1000)
            .Join(db.Runs, d => d.RunId, r => r.Id, (d, r) => new { Deployment = d, r.Number, r.Trigger })
            .ToListAsync(cancellationToken);
        var byEnvironment = deployments.GroupBy(d => d.Deployment.Environment)
            .ToDictionary(g => g.Key, g => g.OrderByDescending(d => d.Deployment.Id).Take(EnvironmentContracts.HistoryLimit)
                .Select(d => d.Deployment.ToResponse(d.Number, d.Trigger)).ToList(), StringComparer.Ordinal);

        var names = rules.Keys.Union(byEnvironment.Keys).ToList();
        var order = PromotionOrder(names, rules);
        return TypedResults.Ok(names.OrderBy(n => order[n]).ThenBy(n => n, StringComparer.Ordinal).Select(name =>
        {
            var history = byEnvironment.GetValueOrDefault(name) ?? [];
            return new EnvironmentResponse(name, (rules.GetValueOrDefault(name) ?? EnvironmentRules.Default(name)).ToResponse(),
                history.FirstOrDefault(), history);
        }).ToList());
    }

    /// <summary>
    /// <c>GET /api/runs/{id}/promotions</c>: for each environment the run has jobs waiting for a person in, whether the
    /// asking user may promote it there now, or the rule that refuses it.
    /// </summary>
    private static async Task<Results<Ok<List<PromotionOptionResponse>>, ProblemHttpResult>> PromotionOptionsAsync(
        long id, Runs.RunReader reader, Promotions promotions, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        if (await reader.GetAsync(id, cancellationToken) is not { } run) return Problems.NotFound($"no run {id}");
        var environments = run.Jobs.Where(j => j.Manual && j.Environment is not null)
            .GroupBy(j => j.Environment!, StringComparer.Ordinal)
            .Select(g => (g.Key, (IReadOnlyList<string>)g.Select(j => j.Id).ToList())).ToList();
        return TypedResults.Ok(await promotions.OptionsAsync(id, environments, user, cancellationToken) ?? []);
    }

    /// <summary>How far along the chain of <c>requires</c> an environment is: dit 0, qa (requires dit) 1, prod (requires qa) 2.</summary>
    private static Dictionary<string, int> PromotionOrder(IReadOnlyList<string> names, IReadOnlyDictionary<string, EnvironmentRules> rules)
    {
        var depth = new Dictionary<string, int>(StringComparer.Ordinal);
        int DepthOf(string name, HashSet<string> visiting)
        {
            if (depth.TryGetValue(name, out var known)) return known;
            // A cycle in the rules (qa requires prod requires qa) ends the walk instead of recursing forever.
            if (!visiting.Add(name)) return 0;
            var requires = rules.GetValueOrDefault(name)?.Requires ?? [];
            var value = requires.Count == 0 ? 0 : 1 + requires.Max(r => DepthOf(r, visiting));
            visiting.Remove(name);
            return depth[name] = value;
        }

        foreach (var name in names) DepthOf(name, new HashSet<string>(StringComparer.Ordinal));
        return depth;
    }

    private static async Task<Results<Ok<EnvironmentResponse>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        string project, string environment, UpdateEnvironmentRequest request, PipelinerDbContext db, AuditTrail audit, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var entity = await db.Projects.AsNoTracking().FirstOrDefaultAsync(p => p.Name == project, cancellationToken);
        if (entity is null) return Problems.NotFound($"no project '{project}'");
        var errors = EnvironmentContracts.Validate(environment, request);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var rules = await db.Environments.FirstOrDefaultAsync(e => e.ProjectId == entity.Id && e.Name == environment, cancellationToken);
        if (rules is null)
        {
            rules = new EnvironmentEntity { ProjectId = entity.Id, Name = environment, RequiredRole = "" };
            db.Environments.Add(rules);
        }

        rules.RequiredRole = request.RequiredRole ?? Role.ReleaseManager.ToName();
        rules.Requires = request.Requires ?? [];
        rules.Approvals = request.Approvals ?? 0;
        rules.Branches = request.Branches ?? [];
        rules.Tags = request.Tags ?? [];
        rules.UpdatedAt = time.GetUtcNow();
        audit.Add(new AuditEvent("environment.update", project, $"environment {environment}", EnvironmentContracts.Describe(rules)));
        await db.SaveChangesAsync(cancellationToken);

        var history = await db.Deployments.AsNoTracking().Where(d => d.ProjectId == entity.Id && d.Environment == environment)
            .OrderByDescending(d => d.Id).Take(EnvironmentContracts.HistoryLimit)
            .Join(db.Runs, d => d.RunId, r => r.Id, (d, r) => new { Deployment = d, r.Number, r.Trigger })
            .ToListAsync(cancellationToken);
        var responses = history.Select(d => d.Deployment.ToResponse(d.Number, d.Trigger)).ToList();
        return TypedResults.Ok(new EnvironmentResponse(environment, EnvironmentRules.From(rules).ToResponse(), responses.FirstOrDefault(), responses));
    }

    private static async Task<Results<Accepted<PromotionResponse>, ValidationProblem, ProblemHttpResult>> PromoteAsync(
        long id, PromoteRequest? request, Promotions promotions, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        if (!EnvironmentContracts.IsName(request?.Environment))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["environment"] = [EnvironmentContracts.NameRule] });
        return await promotions.PromoteAsync(id, request!.Environment!, user, cancellationToken);
    }

    private static async Task<Results<Accepted<PromotionResponse>, ValidationProblem, ProblemHttpResult>> RedeployAsync(
        string project, string environment, RedeployRequest? request, Promotions promotions, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        if (request?.DeploymentId is not { } deploymentId)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["deploymentId"] = ["the id of the deployment to deploy again"] });
        return await promotions.RedeployAsync(project, environment, deploymentId, user, cancellationToken);
    }
}
