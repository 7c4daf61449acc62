using Hangfire;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Audit;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.ForgeStatuses;
using Pipeliner.Server.Http;
using Pipeliner.Server.Webhooks;

namespace Pipeliner.Server.Projects;

public static class ProjectEndpoints
{
    public const string SecretPurpose = "Pipeliner.Projects.WebhookSecret";

    public static void MapProjects(this IEndpointRouteBuilder app)
    {
        var projects = app.MapGroup("/api/projects").WithTags("Projects").WithAuthProblems();
        projects.MapPost("/", CreateAsync).RequireAuthorization(Policies.Admin)
            .ProducesValidationProblem().WithProblems(StatusCodes.Status409Conflict, StatusCodes.Status415UnsupportedMediaType);
        projects.MapGet("/", ListAsync).RequireAuthorization(Policies.Read).WithProblems(StatusCodes.Status400BadRequest);
        projects.MapGet("/{project}", GetAsync).RequireAuthorization(Policies.Read).WithProblems(StatusCodes.Status404NotFound);
        projects.MapProjectUpdate();
        projects.MapProjectDelete();
        projects.MapProjectArchive();
    }

    private static async Task<Results<Created<ProjectResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        CreateProjectRequest request, PipelinerDbContext db, IDataProtectionProvider protection, RepositoryCredentialStore credentials,
        IBackgroundJobClient jobs, AuditTrail audit, LocalRepositoryPolicy localRepositories, TimeProvider time, HttpContext http,
        CancellationToken cancellationToken)
    {
        var errors = ProjectContracts.Validate(request);
        if (errors.Count == 0 && await localRepositories.WhyRefusedAsync(request.Repository!, cancellationToken) is { } refused)
            errors["repository"] = [refused];
        CredentialContracts.CheckKey(errors, request.Credentials);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        if (await db.Projects.AnyAsync(p => p.Name == request.Name, cancellationToken))
            return Problems.Conflict($"a project named '{request.Name}' exists already");

        var project = new ProjectEntity
        {
            Name = request.Name!,
            Repository = request.Repository!,
            Forge = request.Forge!,
            WebhookSecretProtected = protection.CreateProtector(SecretPurpose).Protect(request.WebhookSecret!),
            PipelineFile = request.PipelineFile ?? ".pipeliner.yml",
            DefaultBranch = request.DefaultBranch ?? "main",
            AllowSecretsForForks = request.AllowSecretsForForks ?? false,
            CreatedAt = time.GetUtcNow(),
            ForgeApiUrl = request.ForgeApiUrl,
            ForgeTokenProtected = request.ForgeToken is null ? null : protection.CreateProtector(ForgeStatusTargets.TokenPurpose).Protect(request.ForgeToken),
        };
        if (request.Credentials is { } given) credentials.Set(project, given);
        db.Projects.Add(project);
        audit.Add(new AuditEvent("project.create", project.Name, $"project {project.Name}",
            $"repository {project.Repository}, forge {project.Forge}, pipeline {project.PipelineFile}, default branch {project.DefaultBranch}"
            + (project.AllowSecretsForForks ? ", secrets for pull requests from forks" : "")
            + (project.ForgeApiUrl is null ? "" : $", forge API {project.ForgeApiUrl}") + (project.ForgeTokenProtected is null ? "" : ", forge token set")
            + (project.CredentialsKind is null ? "" : $", repository credentials ({project.CredentialsKind})")));
        await db.SaveChangesAsync(cancellationToken);
        // Its on.schedule crons become recurring jobs now, not only at the first push to the default branch.
        jobs.Enqueue<ScheduleSync>(schedules => schedules.SyncAsync(project.Id, CancellationToken.None));
        return TypedResults.Created($"/api/projects/{project.Name}", project.ToResponse(http.BaseUrl(), null));
    }

    /// <param name="archived">false (the default): active projects; true: archived ones only; all: both.</param>
    private static async Task<Results<Ok<List<ProjectResponse>>, ProblemHttpResult>> ListAsync(
        string? archived, PipelinerDbContext db, HttpContext http, CancellationToken cancellationToken)
    {
        var query = db.Projects.AsNoTracking();
        switch (archived)
        {
            case null or "false":
                query = query.Where(p => p.ArchivedAt == null);
                break;
            case "true":
                query = query.Where(p => p.ArchivedAt != null);
                break;
            case "all":
                break;
            default:
                return Problems.BadRequest($"archived is false (active projects, the default), true (archived ones) or all, not '{archived}'");
        }

        var projects = await query.OrderBy(p => p.Name).ToListAsync(cancellationToken);
        var latest = await LatestDefaultBranchRunsAsync(db, projects, cancellationToken);
        return TypedResults.Ok(projects.Select(p => p.ToResponse(http.BaseUrl(), latest.GetValueOrDefault(p.Id))).ToList());
    }

    private static async Task<Results<Ok<ProjectResponse>, ProblemHttpResult>> GetAsync(
        string project, PipelinerDbContext db, HttpContext http, CancellationToken cancellationToken)
    {
        var entity = await db.Projects.AsNoTracking().FirstOrDefaultAsync(p => p.Name == project, cancellationToken);
        if (entity is null) return Problems.NotFound($"no project '{project}'");
        var latest = await LatestDefaultBranchRunsAsync(db, [entity], cancellationToken);
        return TypedResults.Ok(entity.ToResponse(http.BaseUrl(), latest.GetValueOrDefault(entity.Id)));
    }

    private static async Task<Dictionary<int, RunEntity>> LatestDefaultBranchRunsAsync(
        PipelinerDbContext db, List<ProjectEntity> projects, CancellationToken cancellationToken)
    {
        var latest = new Dictionary<int, RunEntity>();
        foreach (var project in projects)
        {
            var run = await db.Runs.AsNoTracking()
                .Where(r => r.ProjectId == project.Id && r.Branch == project.DefaultBranch)
                .OrderByDescending(r => r.Id)
                .FirstOrDefaultAsync(cancellationToken);
            if (run is not null) latest[project.Id] = run;
        }

        return latest;
    }
}
