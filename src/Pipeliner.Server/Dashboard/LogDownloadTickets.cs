using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Auth.Sessions;
using Pipeliner.Server.Data;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Dashboard;

/// <summary>
/// A browser download cannot send an Authorization header, so a reader of a log gets a ticket instead: a signed,
/// encrypted note naming one attempt's log and the token or dashboard session it was issued to, valid for a few
/// minutes, to put in the download link. At use, that token must still work (not revoked or expired, its user not
/// disabled), or that session must still be live; a ticket issued to nobody works only while anonymous read is on.
/// </summary>
public sealed class LogDownloadTickets(
    IDataProtectionProvider protection, PipelinerDbContext db, IOptions<PipelinerOptions> options, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);
    private const string Anonymous = "anonymous";

    private readonly ITimeLimitedDataProtector _protector =
        protection.CreateProtector("Pipeliner.Dashboard.LogDownload").ToTimeLimitedDataProtector();

    private const string SessionPrefix = "session:";

    public string Issue(long runId, string job, int attempt, ClaimsPrincipal user) =>
        _protector.Protect(Subject(runId, job, attempt, HolderOf(user)), time.GetUtcNow() + Lifetime);

    /// <summary>The token's id, or the dashboard session's (<c>session:{id}</c>), or <see cref="Anonymous"/>.</summary>
    private static string HolderOf(ClaimsPrincipal user) =>
        user.FindFirstValue(BearerTokenHandler.TokenIdClaim)
        ?? (user.SessionId() is { } session ? SessionPrefix + session.ToString(CultureInfo.InvariantCulture) : Anonymous);

    public async Task<bool> IsValidAsync(string? ticket, long runId, string job, int attempt, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(ticket)) return false;
        string subject;
        try
        {
            subject = _protector.Unprotect(ticket, out var expiration);
            if (expiration <= time.GetUtcNow()) return false;
        }
        catch (CryptographicException)
        {
            return false;
        }

        var holder = subject[(subject.LastIndexOf('\n') + 1)..];
        if (subject != Subject(runId, job, attempt, holder)) return false;
        if (holder == Anonymous) return options.Value.Auth.AnonymousRead;
        if (holder.StartsWith(SessionPrefix, StringComparison.Ordinal))
        {
            // A session's ticket works while the session does: signing out or disabling the user stops it.
            var now = time.GetUtcNow();
            return long.TryParse(holder[SessionPrefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var sessionId)
                && await db.Sessions.AnyAsync(s => s.Id == sessionId && s.ExpiresAt > now && s.User!.DisabledAt == null, cancellationToken);
        }
        if (!int.TryParse(holder, NumberStyles.None, CultureInfo.InvariantCulture, out var tokenId)) return false;
        var token = await db.ApiTokens.AsNoTracking().Include(t => t.User).FirstOrDefaultAsync(t => t.Id == tokenId, cancellationToken);
        return token?.User is { } user && TokenAccess.EffectiveRole(token, user, time.GetUtcNow()) is not null;
    }

    /// <param name="holder">The id of the token the ticket was issued to, or <see cref="Anonymous"/>.</param>
    private static string Subject(long runId, string job, int attempt, string holder) =>
        string.Create(CultureInfo.InvariantCulture, $"{runId}\n{attempt}\n{job}\n{holder}");
}
