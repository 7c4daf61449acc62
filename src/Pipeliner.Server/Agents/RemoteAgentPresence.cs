using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data;

namespace Pipeliner.Server.Agents;

/// <summary>
/// Whether an agent other than the embedded one may take jobs (registered and not disabled), as read at most
/// <see cref="KeptFor"/> ago: run creation asks it for every run, to make the commit's tar for remote agents ahead of
/// their download (<see cref="SourceArchives.Prepare"/>). An answer that is out of date costs no correctness: a tar not
/// made ahead is made at the first download, one made ahead for no agent is only work.
/// </summary>
public sealed class RemoteAgentPresence(TimeProvider time)
{
    public static readonly TimeSpan KeptFor = TimeSpan.FromSeconds(10);

    private sealed record Known(bool Present, DateTimeOffset Until);

    private Known? _known;

    public async Task<bool> AnyAsync(PipelinerDbContext db, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (Volatile.Read(ref _known) is { } known && known.Until > now) return known.Present;
        var present = await AnyRemote.For(db)(db, cancellationToken);
        Volatile.Write(ref _known, new Known(present, now + KeptFor));
        return present;
    }

    private static readonly CompiledPerModel<Func<PipelinerDbContext, CancellationToken, Task<bool>>> AnyRemote = new(() =>
        EF.CompileAsyncQuery((PipelinerDbContext db, CancellationToken _) => db.Agents.Any(a => a.Name != EmbeddedAgent.Name && !a.Disabled)));
}
