using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Auth.Sessions;

/// <summary>
/// Slows down guessing, per user name (whether or not such a user exists, so the answer tells nothing) and per client
/// address, in the database so that it holds across replicas. An attempt is counted when it starts, in one atomic
/// update that also blocks the key once it reaches its limit; so attempts sent in parallel are counted, not all let
/// through. From the limit on each failure doubles the wait (<c>FirstDelay</c>, up to <c>MaxDelay</c>); a success clears
/// the user's count. Failures older than the window are forgotten.
/// </summary>
public sealed class SignInThrottle(PipelinerDbContext db, IOptions<PipelinerOptions> options, TimeProvider time)
{
    private SignInThrottleOptions Settings => options.Value.Auth.SignInThrottle;

    public static string UserKey(string name) => "user:" + Truncate(name.Trim().ToLowerInvariant());

    public static string AddressKey(string address) => "address:" + Truncate(address);

    /// <summary>Counts an attempt for the user name and the address; null when it may go on, else until when it must wait.</summary>
    public async Task<DateTimeOffset?> BeginAsync(string userName, string? address, CancellationToken cancellationToken)
    {
        if (address is not null && await ReserveAsync(AddressKey(address), Settings.FailuresPerAddress, cancellationToken) is { } addressBlocked)
            return addressBlocked;
        if (await ReserveAsync(UserKey(userName), Settings.FailuresPerUser, cancellationToken) is not { } userBlocked) return null;
        // Refused for the user: the attempt never happened, so it does not count against the address.
        if (address is not null) await ReleaseAsync(AddressKey(address), cancellationToken);
        return userBlocked;
    }

    /// <summary>The attempt was right: the user's count starts over, and it does not count against the address.</summary>
    public async Task SucceededAsync(string userName, string? address, CancellationToken cancellationToken)
    {
        var key = UserKey(userName);
        await db.SignInThrottles.Where(t => t.Key == key)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.Failures, 0).SetProperty(t => t.BlockedUntil, (DateTimeOffset?)null), cancellationToken);
        if (address is not null) await ReleaseAsync(AddressKey(address), cancellationToken);
    }

    /// <summary>The attempt was wrong: keys over their limit wait longer. Returns until when the user name must wait, if it must.</summary>
    public async Task<DateTimeOffset?> FailedAsync(string userName, string? address, CancellationToken cancellationToken)
    {
        if (address is not null) await ExtendAsync(AddressKey(address), Settings.FailuresPerAddress, cancellationToken);
        return await ExtendAsync(UserKey(userName), Settings.FailuresPerUser, cancellationToken);
    }

    /// <summary>The wait after the failure that reached the limit (<paramref name="over"/> 1) and each one after it.</summary>
    public static TimeSpan Delay(SignInThrottleOptions settings, int over)
    {
        var ticks = settings.FirstDelay.Ticks * Math.Pow(2, Math.Min(over - 1, 40));
        return ticks >= settings.MaxDelay.Ticks ? settings.MaxDelay : TimeSpan.FromTicks((long)ticks);
    }

    private async Task<DateTimeOffset?> ReserveAsync(string key, int limit, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var now = time.GetUtcNow();
            var windowStart = now - Settings.Window;
            DateTimeOffset? firstBlock = now + Settings.FirstDelay;
            var counted = await db.SignInThrottles.Where(t => t.Key == key && (t.BlockedUntil == null || t.BlockedUntil <= now))
                .ExecuteUpdateAsync(s => s
                    .SetProperty(t => t.Failures, t => t.LastFailureAt < windowStart ? 1 : t.Failures + 1)
                    .SetProperty(t => t.BlockedUntil, t => (t.LastFailureAt < windowStart ? 1 : t.Failures + 1) >= limit ? firstBlock : null)
                    .SetProperty(t => t.LastFailureAt, now), cancellationToken);
            if (counted > 0) return null;

            var row = await db.SignInThrottles.AsNoTracking().FirstOrDefaultAsync(t => t.Key == key, cancellationToken);
            if (row is not null) return row.BlockedUntil;
            db.SignInThrottles.Add(new SignInThrottleEntity
            {
                Key = key,
                Failures = 1,
                LastFailureAt = now,
                BlockedUntil = 1 >= limit ? firstBlock : null,
            });
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                return null;
            }
            catch (DbUpdateException) when (attempt == 0)
            {
                // Another request created the key first: count on its row.
                db.ChangeTracker.Clear();
            }
        }
    }

    private Task ReleaseAsync(string key, CancellationToken cancellationToken) =>
        db.SignInThrottles.Where(t => t.Key == key && t.Failures > 0)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.Failures, t => t.Failures - 1), cancellationToken);

    private async Task<DateTimeOffset?> ExtendAsync(string key, int limit, CancellationToken cancellationToken)
    {
        var failures = await db.SignInThrottles.Where(t => t.Key == key).Select(t => t.Failures).FirstOrDefaultAsync(cancellationToken);
        if (failures < limit) return null;
        DateTimeOffset? until = time.GetUtcNow() + Delay(Settings, failures - limit + 1);
        await db.SignInThrottles.Where(t => t.Key == key && (t.BlockedUntil == null || t.BlockedUntil < until))
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.BlockedUntil, until), cancellationToken);
        return until;
    }

    private static string Truncate(string value) => value.Length <= 150 ? value : value[..150];
}
