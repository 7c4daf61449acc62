using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Auth;

/// <summary>
/// On first start (no users and no tokens yet), creates the user <c>admin</c> and its token: the configured one, or a
/// new one that the start-up banner prints once.
/// </summary>
public sealed class BootstrapAdmin(
    PipelinerDbContext db, IOptions<PipelinerOptions> options, StartupReport report, TimeProvider time, ILogger<BootstrapAdmin> logger)
{
    public const string UserName = "admin";
    public const string TokenName = "bootstrap";

    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        if (await db.Users.AnyAsync(cancellationToken) || await db.ApiTokens.AnyAsync(cancellationToken)) return;
        var configured = options.Value.BootstrapToken;
        var token = string.IsNullOrWhiteSpace(configured) ? TokenHasher.NewToken() : configured.Trim();
        var now = time.GetUtcNow();
        var admin = new UserEntity { Name = UserName, Role = Role.Admin.ToName(), CreatedAt = now };
        admin.Tokens.Add(new ApiTokenEntity
        {
            Name = TokenName,
            Role = Role.Admin.ToName(),
            TokenHash = TokenHasher.Hash(token),
            Prefix = TokenHasher.Prefix(token),
            CreatedAt = now,
        });
        db.Users.Add(admin);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (DatabaseErrors.IsUniqueViolation(e))
        {
            // Another replica starting at the same time made the admin first: its token counts, this one is not registered.
            logger.LogInformation("Another server registered the bootstrap admin first");
            return;
        }
        if (string.IsNullOrWhiteSpace(configured))
        {
            // Printed once, on the console only (StartupBanner): it is not stored anywhere in clear.
            report.GeneratedAdminToken = token;
        }
        else
        {
            logger.LogInformation("The bootstrap admin token from Pipeliner:BootstrapToken is registered");
        }
    }
}
