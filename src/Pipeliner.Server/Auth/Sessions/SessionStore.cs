using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Auth.Sessions;

/// <summary>
/// Server-side dashboard sessions: started by a password or single sign-on, found by the cookie's hash on each
/// request, ended by signing out, by disabling the user or by a password reset.
/// </summary>
public sealed class SessionStore(PipelinerDbContext db, SessionCookies cookies, IOptions<PipelinerOptions> options, TimeProvider time)
{
    /// <summary>Last-seen times are written at most this often, so that reading pages does not write on every request.</summary>
    public static readonly TimeSpan TouchInterval = TimeSpan.FromMinutes(1);

    private SessionLifetimeOptions Settings => options.Value.Auth.Session;

    /// <summary>Starts a session for <paramref name="user"/> and sets its cookies on the response.</summary>
    public async Task<SessionEntity> StartAsync(HttpContext http, UserEntity user, string method, bool persistent, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var token = TokenHasher.NewToken();
        var session = new SessionEntity
        {
            UserId = user.Id,
            TokenHash = TokenHasher.Hash(token),
            CsrfToken = TokenHasher.NewToken(),
            Method = method,
            Persistent = persistent,
            CreatedAt = now,
            LastSeenAt = now,
            ExpiresAt = now + (persistent ? Settings.RememberFor : Settings.IdleTimeout),
            Address = http.Connection.RemoteIpAddress?.ToString(),
        };
        db.Sessions.Add(session);
        await db.SaveChangesAsync(cancellationToken);
        // A browser-session cookie unless remembered; the server's expiry decides either way.
        cookies.Write(http, token, session.CsrfToken, persistent ? session.ExpiresAt : null);
        return session;
    }

    /// <summary>The live session the cookie names, with its user; its last use is recorded (sliding the idle expiry).</summary>
    public async Task<SessionEntity?> FindAsync(string cookie, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var hash = TokenHasher.Hash(cookie);
        var session = await db.Sessions.AsNoTracking().Include(s => s.User)
            .FirstOrDefaultAsync(s => s.TokenHash == hash && s.ExpiresAt > now, cancellationToken);
        if (session?.User is not { DisabledAt: null }) return null;

        if (now - session.LastSeenAt >= TouchInterval)
        {
            var expires = session.Persistent ? session.ExpiresAt : now + Settings.IdleTimeout;
            await db.Sessions.Where(s => s.Id == session.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.LastSeenAt, now).SetProperty(x => x.ExpiresAt, expires), cancellationToken);
        }
        return session;
    }

    public Task EndAsync(long id, CancellationToken cancellationToken) =>
        db.Sessions.Where(s => s.Id == id).ExecuteDeleteAsync(cancellationToken);

    /// <summary>Ends every session of the user (but <paramref name="except"/>); returns how many ended.</summary>
    public Task<int> EndAllAsync(int userId, long? except, CancellationToken cancellationToken) =>
        db.Sessions.Where(s => s.UserId == userId && s.Id != except).ExecuteDeleteAsync(cancellationToken);
}
