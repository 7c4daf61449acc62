using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Audit;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.ForgeStatuses;
using Pipeliner.Server.Http;

namespace Pipeliner.Server.Projects;

/// <summary><c>PATCH /api/projects/{project}</c>: changes a project's settings; the audit log names the fields, never their values.</summary>
public static class ProjectUpdateEndpoint
{
    public static void MapProjectUpdate(this RouteGroupBuilder projects) =>
        projects.MapPatch("/{project}", UpdateAsync).RequireAuthorization(Policies.Admin)
            .ProducesValidationProblem().WithProblems(StatusCodes.Status404NotFound, StatusCodes.Status415UnsupportedMediaType);

    private static async Task<Results<Ok<ProjectResponse>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        string project, UpdateProjectRequest request, PipelinerDbContext db, IDataProtectionProvider protection,
        RepositoryCredentialStore credentials, AuditTrail audit, HttpContext http, CancellationToken cancellationToken)
    {
        var entity = await db.Projects.FirstOrDefaultAsync(p => p.Name == project, cancellationToken);
        if (entity is null) return Problems.NotFound($"no project '{project}'");
        var errors = ProjectContracts.Validate(request, entity.Repository);
        CredentialContracts.CheckKey(errors, request.Credentials);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var changed = new List<string>();
        if (request.ForgeApiUrl is { } api)
        {
            entity.ForgeApiUrl = api.Length == 0 ? null : api;
            changed.Add("forgeApiUrl");
        }

        if (request.ForgeToken is { } token)
        {
            entity.ForgeTokenProtected = token.Length == 0 ? null : protection.CreateProtector(ForgeStatusTargets.TokenPurpose).Protect(token);
            changed.Add("forgeToken");
        }

        if (request.DefaultBranch is { } branch)
        {
            entity.DefaultBranch = branch;
            changed.Add("defaultBranch");
        }

        if (request.PipelineFile is { } file)
        {
            entity.PipelineFile = file;
            changed.Add("pipelineFile");
        }

        if (request.WebhookSecret is { } secret)
        {
            entity.WebhookSecretProtected = protection.CreateProtector(ProjectEndpoints.SecretPurpose).Protect(secret);
            changed.Add("webhookSecret");
        }

        if (request.AllowSecretsForForks is { } allow)
        {
            entity.AllowSecretsForForks = allow;
            changed.Add($"allowSecretsForForks ({(allow ? "on" : "off")})");
        }

        if (request.Credentials is { } given)
        {
            credentials.Set(entity, given);
            changed.Add(entity.CredentialsKind is null ? "credentials (removed)" : $"credentials ({entity.CredentialsKind})");
        }

        audit.Add(new AuditEvent("project.update", entity.Name, $"project {entity.Name}", $"changed {string.Join(", ", changed)}"));
        await db.SaveChangesAsync(cancellationToken);
        var latest = await db.Runs.AsNoTracking().Where(r => r.ProjectId == entity.Id && r.Branch == entity.DefaultBranch)
            .OrderByDescending(r => r.Id).FirstOrDefaultAsync(cancellationToken);
        return TypedResults.Ok(entity.ToResponse(http.BaseUrl(), latest));
    }
}
