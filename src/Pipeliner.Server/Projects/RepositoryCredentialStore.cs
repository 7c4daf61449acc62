using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Engine.Workspaces;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Projects;

/// <summary>
/// Keeps each project's repository credentials encrypted with ASP.NET Data Protection under their own purpose, and
/// gives them in clear only to the mirror that clones and fetches the repository on the server.
/// </summary>
public sealed class RepositoryCredentialStore(IServiceScopeFactory scopes, IDataProtectionProvider protection, ILogger<RepositoryCredentialStore> logger)
    : IRepositoryCredentialSource
{
    /// <summary>Its own purpose: a value protected as a secret, webhook secret or forge token cannot be read as credentials, nor the reverse.</summary>
    public const string Purpose = "Pipeliner.Projects.RepositoryCredentials";

    /// <summary>Stores valid <paramref name="credentials"/> on the project; empty ones remove them.</summary>
    public void Set(ProjectEntity project, RepositoryCredentialsRequest credentials)
    {
        if (credentials.IsEmpty)
        {
            project.CredentialsKind = null;
            project.CredentialsProtected = null;
            return;
        }

        project.CredentialsKind = credentials.ToCredentials().Kind;
        project.CredentialsProtected = protection.CreateProtector(Purpose).Protect(JsonSerializer.Serialize(credentials, JsonSerializerOptions.Web));
    }

    public async Task<RepositoryCredentials?> ForProjectAsync(string project, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        var stored = await db.Projects.AsNoTracking().Where(p => p.Name == project).Select(p => p.CredentialsProtected).FirstOrDefaultAsync(cancellationToken);
        if (stored is null) return null;
        try
        {
            var json = protection.CreateProtector(Purpose).Unprotect(stored);
            return JsonSerializer.Deserialize<RepositoryCredentialsRequest>(json, JsonSerializerOptions.Web)!.ToCredentials();
        }
        catch (CryptographicException e)
        {
            logger.LogError(e, "The repository credentials of project {Project} cannot be decrypted with the Data Protection keys; set them again", project);
            throw new WorkspaceException(
                $"the repository credentials of project '{project}' cannot be decrypted (the server's Data Protection keys changed): set them again");
        }
    }
}
