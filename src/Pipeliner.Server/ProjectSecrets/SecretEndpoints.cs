using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Audit;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Http;
using Pipeliner.Server.Logs;

namespace Pipeliner.Server.ProjectSecrets;

/// <summary>
/// A project's secrets, for admins: set (create or replace), list (names and scopes, never values), delete.
/// Values are encrypted at rest and only ever leave the server inside the jobs that list them.
/// </summary>
public static class SecretEndpoints
{
    public static void MapSecrets(this IEndpointRouteBuilder app)
    {
        var secrets = app.MapGroup("/api/projects/{project}/secrets").WithTags("Secrets").WithAuthProblems()
            .RequireAuthorization(Policies.Admin);
        secrets.MapGet("/", ListAsync).WithProblems(StatusCodes.Status404NotFound);
        secrets.MapPut("/{name}", SetAsync).ProducesValidationProblem()
            .WithProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status415UnsupportedMediaType);
        secrets.MapDelete("/{name}", DeleteAsync).WithProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
    }

    private static async Task<Results<Ok<List<SecretResponse>>, ProblemHttpResult>> ListAsync(
        string project, PipelinerDbContext db, CancellationToken cancellationToken)
    {
        var projectId = await ProjectIdAsync(db, project, cancellationToken);
        if (projectId is null) return Problems.NotFound($"no project '{project}'");
        var stored = await db.ProjectSecrets.AsNoTracking().Where(s => s.ProjectId == projectId)
            .OrderBy(s => s.Name).ThenBy(s => s.Environment).ToListAsync(cancellationToken);
        return TypedResults.Ok(stored.Select(s => s.ToResponse()).ToList());
    }

    private static async Task<Results<Created<SecretResponse>, Ok<SecretResponse>, ValidationProblem, ProblemHttpResult>> SetAsync(
        string project, string name, SetSecretRequest? request, PipelinerDbContext db, SecretVault vault, AuditTrail audit,
        LogMasking masking, TimeProvider time, CancellationToken cancellationToken)
    {
        var errors = SecretContracts.Validate(name, request);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var projectId = await ProjectIdAsync(db, project, cancellationToken);
        if (projectId is null) return Problems.NotFound($"no project '{project}'");

        var scope = request!.Environment ?? ProjectSecretEntity.ProjectWide;
        var now = time.GetUtcNow();
        var secret = await db.ProjectSecrets.FirstOrDefaultAsync(
            s => s.ProjectId == projectId && s.Name == name && s.Environment == scope, cancellationToken);
        var created = secret is null;
        if (secret is null)
        {
            secret = new ProjectSecretEntity { ProjectId = projectId.Value, Name = name, Environment = scope, ValueProtected = "", CreatedAt = now };
            db.ProjectSecrets.Add(secret);
        }

        secret.ValueProtected = vault.Protect(request.Value!);
        secret.UpdatedAt = now;
        audit.Add(new AuditEvent("secret.set", project, SecretContracts.AuditTarget(name, request.Environment), created ? "created" : "replaced"));
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another request created the same secret at the same moment (the unique index refused the second).
            return Problems.Conflict($"secret {name} was set by another request at the same time; send it again");
        }

        // Reads through this server mask the new value at once (other replicas within LogMasking.CacheFor).
        masking.Forget();

        var response = secret.ToResponse();
        return created ? TypedResults.Created($"/api/projects/{project}/secrets/{name}", response) : TypedResults.Ok(response);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string project, string name, string? environment, PipelinerDbContext db, AuditTrail audit, CancellationToken cancellationToken)
    {
        if (SecretContracts.NameProblem(name) is { } nameProblem) return Problems.BadRequest($"name: {nameProblem}");
        if (environment == "") environment = null;
        if (SecretContracts.EnvironmentProblem(environment) is { } environmentProblem) return Problems.BadRequest($"environment: {environmentProblem}");
        var projectId = await ProjectIdAsync(db, project, cancellationToken);
        if (projectId is null) return Problems.NotFound($"no project '{project}'");

        var scope = environment ?? ProjectSecretEntity.ProjectWide;
        var secret = await db.ProjectSecrets.FirstOrDefaultAsync(
            s => s.ProjectId == projectId && s.Name == name && s.Environment == scope, cancellationToken);
        if (secret is null)
        {
            return Problems.NotFound(environment is null
                ? $"project '{project}' has no project-wide secret {name}"
                : $"project '{project}' has no secret {name} for environment {environment}");
        }

        db.ProjectSecrets.Remove(secret);
        audit.Add(new AuditEvent("secret.delete", project, SecretContracts.AuditTarget(name, environment)));
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    private static Task<int?> ProjectIdAsync(PipelinerDbContext db, string project, CancellationToken cancellationToken) =>
        db.Projects.Where(p => p.Name == project).Select(p => (int?)p.Id).FirstOrDefaultAsync(cancellationToken);
}
