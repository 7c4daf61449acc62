using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Engine.Logging;
using Pipeliner.Server.Data;
using Pipeliner.Server.ProjectSecrets;

namespace Pipeliner.Server.Logs.Search;

/// <summary>
/// A masker for every secret a project has now (all environments), for text that leaves the log store another way
/// than the log itself: what is indexed, and search results. Logs are masked when written; this also catches a
/// value that became a secret later.
/// </summary>
public sealed class ProjectSecretMasks(PipelinerDbContext db, IDataProtectionProvider protection, ILogger<ProjectSecretMasks> logger)
{
    public async Task<SecretMasker> ForProjectAsync(int projectId, CancellationToken cancellationToken)
    {
        var stored = await db.ProjectSecrets.AsNoTracking().Where(s => s.ProjectId == projectId).Select(s => s.ValueProtected).ToListAsync(cancellationToken);
        if (stored.Count == 0) return SecretMasker.None;
        var protector = protection.CreateProtector(SecretVault.Purpose);
        var values = new List<string>();
        foreach (var value in stored)
        {
            try
            {
                values.Add(protector.Unprotect(value));
            }
            catch (CryptographicException e)
            {
                logger.LogWarning(e, "A secret of project {ProjectId} cannot be decrypted and is not masked in search", projectId);
            }
        }

        return new SecretMasker(values);
    }
}
