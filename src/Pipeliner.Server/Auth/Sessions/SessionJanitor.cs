using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Data;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Auth.Sessions;

/// <summary>Removes expired sessions and forgotten sign-in failures (a recurring Hangfire job; they are refused anyway).</summary>
public sealed class SessionJanitor(PipelinerDbContext db, IOptions<PipelinerOptions> options, TimeProvider time)
{
    public const string RecurringJobId = "remove-expired-sessions";

    public async Task RemoveExpiredAsync()
    {
        var now = time.GetUtcNow();
        var forgotten = now - options.Value.Auth.SignInThrottle.Window;
        await db.Sessions.Where(s => s.ExpiresAt <= now).ExecuteDeleteAsync();
        await db.SignInThrottles.Where(t => t.LastFailureAt < forgotten && (t.BlockedUntil == null || t.BlockedUntil < now)).ExecuteDeleteAsync();
    }
}
