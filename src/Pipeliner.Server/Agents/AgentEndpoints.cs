using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Audit;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Http;
using Pipeliner.Server.Scheduling;

namespace Pipeliner.Server.Agents;

/// <summary><c>POST /api/agents/tokens</c>: what the registration token is called (optional).</summary>
public sealed record CreateRegistrationTokenRequest(string? Name);

/// <summary>The answer to a creation: the only time the registration token itself is shown.</summary>
public sealed record CreatedRegistrationTokenResponse(int Id, string Name, string Prefix, string Token, DateTimeOffset CreatedAt);

public sealed record RegistrationTokenResponse(int Id, string Name, string Prefix, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary><c>PATCH /api/agents/{name}</c>.</summary>
public sealed record UpdateAgentRequest(bool? Disabled);

/// <summary>
/// The agents as people manage them: the list (read), disabling (a disabled agent finishes its jobs and gets no new
/// ones) and removal (admin), and registration tokens (admin; shown once, reusable until revoked). Audit-logged.
/// </summary>
public static class AgentEndpoints
{
    public static void MapAgents(this IEndpointRouteBuilder app)
    {
        var agents = app.MapGroup("/api/agents").WithTags("Agents").WithAuthProblems();
        agents.MapGet("/", ListAsync).RequireAuthorization(Policies.Read);
        agents.MapPatch("/{name}", UpdateAsync).RequireAuthorization(Policies.Admin)
            .ProducesValidationProblem().WithProblems(StatusCodes.Status404NotFound);
        agents.MapDelete("/{name}", DeleteAsync).RequireAuthorization(Policies.Admin)
            .WithProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        var tokens = agents.MapGroup("/tokens").RequireAuthorization(Policies.Admin);
        tokens.MapPost("/", CreateTokenAsync).ProducesValidationProblem();
        tokens.MapGet("/", ListTokensAsync);
        tokens.MapDelete("/{id:int}", RevokeTokenAsync).WithProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        app.MapAgentProtocol();
    }

    private static async Task<Ok<List<AgentResponse>>> ListAsync(AgentDirectory directory, CancellationToken cancellationToken) =>
        TypedResults.Ok(await directory.ListAsync(cancellationToken));

    private static async Task<Results<Ok<AgentResponse>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        string name, UpdateAgentRequest? request, PipelinerDbContext db, AgentDirectory directory, AuditTrail audit, DispatchSignal dispatch,
        CancellationToken cancellationToken)
    {
        if (request?.Disabled is not { } disabled)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["disabled"] = ["true or false"] });
        var agent = await db.Agents.FirstOrDefaultAsync(a => a.Name == name, cancellationToken);
        if (agent is null) return Problems.NotFound($"no agent '{name}'");
        if (agent.Disabled != disabled)
        {
            agent.Disabled = disabled;
            audit.Add(new AuditEvent(disabled ? "agent.disable" : "agent.enable", null, $"agent {agent.Name}",
                disabled ? "it finishes its running jobs and gets no new ones" : null));
            await db.SaveChangesAsync(cancellationToken);
            directory.Forget(agent.Name);
            // Its waiting polls look for the jobs it may take again now, not at their next recheck.
            if (!disabled) dispatch.Notify();
        }

        return TypedResults.Ok((await directory.ListAsync(cancellationToken)).First(a => a.Name == agent.Name));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string name, PipelinerDbContext db, AgentDirectory directory, AuditTrail audit, CancellationToken cancellationToken)
    {
        var agent = await db.Agents.FirstOrDefaultAsync(a => a.Name == name, cancellationToken);
        if (agent is null) return Problems.NotFound($"no agent '{name}'");
        if (agent.Embedded)
            return Problems.Conflict($"'{name}' is the agent inside the server: disable it (PATCH {{\"disabled\": true}}) or turn it off with Pipeliner:Agent:Capacity=0");
        db.Agents.Remove(agent);
        audit.Add(new AuditEvent("agent.delete", null, $"agent {agent.Name}", "its credential stops working; its running attempts are lost when their leases end"));
        await db.SaveChangesAsync(cancellationToken);
        // Its credential stops working on this replica at once (on others within AgentDirectory.SeenInterval).
        directory.Forget(agent.Name);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Created<CreatedRegistrationTokenResponse>, ValidationProblem>> CreateTokenAsync(
        CreateRegistrationTokenRequest? request, HttpContext http, PipelinerDbContext db, AuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var name = request?.Name?.Trim() is { Length: > 0 } given ? given : "agents";
        if (name.Length > 100)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["name"] = ["at most 100 characters"] });
        var token = AgentCredentials.New(AgentCredentials.RegistrationPrefix);
        var entity = new AgentRegistrationTokenEntity
        {
            Name = name, TokenHash = TokenHasher.Hash(token), Prefix = token[..10], CreatedBy = AuditTrail.ActorOf(http.User), CreatedAt = time.GetUtcNow(),
        };
        db.AgentRegistrationTokens.Add(entity);
        audit.Add(new AuditEvent("agent-token.create", null, $"agent registration token {entity.Prefix}… ({entity.Name})"));
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Created($"/api/agents/tokens/{entity.Id}",
            new CreatedRegistrationTokenResponse(entity.Id, entity.Name, entity.Prefix, token, entity.CreatedAt));
    }

    private static async Task<Ok<List<RegistrationTokenResponse>>> ListTokensAsync(PipelinerDbContext db, CancellationToken cancellationToken) =>
        TypedResults.Ok(await db.AgentRegistrationTokens.AsNoTracking().OrderBy(t => t.Id)
            .Select(t => new RegistrationTokenResponse(t.Id, t.Name, t.Prefix, t.CreatedBy, t.CreatedAt, t.RevokedAt)).ToListAsync(cancellationToken));

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeTokenAsync(
        int id, PipelinerDbContext db, AuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var token = await db.AgentRegistrationTokens.FirstOrDefaultAsync(t => t.Id == id, cancellationToken);
        if (token is null) return Problems.NotFound($"no agent registration token {id}");
        if (token.RevokedAt is not null) return Problems.Conflict($"agent registration token {id} was revoked already at {token.RevokedAt:O}");
        token.RevokedAt = time.GetUtcNow();
        audit.Add(new AuditEvent("agent-token.revoke", null, $"agent registration token {token.Prefix}… ({token.Name})",
            "agents registered with it keep their own credentials"));
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }
}
