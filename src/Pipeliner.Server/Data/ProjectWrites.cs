using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Data;

/// <summary>
/// A stamp that moves whenever this process saves an added, changed or removed project row: once when the save starts and
/// again once it is committed (after its transaction, where it is saved inside one). Whoever keeps a project's row read
/// earlier (the coordinator's cached runs) reads it again only when the stamp moved since: reading the stamp before the
/// row, a save that was under way then moves it once more after its commit. Only this process's saves are seen, so it
/// is for single-node databases (SQLite); <see cref="ProjectWriteInterceptor"/> moves it. The run counter's own update
/// (<c>RunNumbers</c>, not through the change tracker) does not move it: no reader of the stamp uses that column.
/// </summary>
public sealed class ProjectWrites
{
    private long _stamp;

    public long Stamp => Volatile.Read(ref _stamp);

    internal void Moved() => Interlocked.Increment(ref _stamp);
}

/// <summary>Moves <see cref="ProjectWrites"/> around every save of a project row, through any context of this process.</summary>
public sealed class ProjectWriteInterceptor(ProjectWrites writes) : SaveChangesInterceptor, IDbTransactionInterceptor
{
    // Contexts that saved a project row inside a transaction not committed or rolled back yet.
    private readonly ConditionalWeakTable<DbContext, object> _uncommitted = [];

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Starting(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(
        DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Starting(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        Ended(eventData.Context);
        return result;
    }

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Ended(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override void SaveChangesFailed(DbContextErrorEventData eventData) => Ended(eventData.Context);

    public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Ended(eventData.Context);
        return Task.CompletedTask;
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Settled(eventData.Context);

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Settled(eventData.Context);
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Settled(eventData.Context);

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Settled(eventData.Context);
        return Task.CompletedTask;
    }

    private void Starting(DbContext? context)
    {
        if (context is null || !WritesProjects(context)) return;
        writes.Moved();
        _uncommitted.AddOrUpdate(context, this);
    }

    private void Ended(DbContext? context)
    {
        if (context is null || !_uncommitted.TryGetValue(context, out _)) return;
        writes.Moved();
        // Inside the caller's transaction the row is not committed yet: the stamp moves again when it ends.
        if (context.Database.CurrentTransaction is null) _uncommitted.Remove(context);
    }

    private void Settled(DbContext? context)
    {
        if (context is null || !_uncommitted.Remove(context)) return;
        writes.Moved();
    }

    /// <summary>
    /// Whether the save adds, changes or removes a project row: only the project entries are compared with what was read,
    /// not every tracked row (the save compares those itself, where the context detects changes at all).
    /// </summary>
    private static bool WritesProjects(DbContext context)
    {
        var tracker = context.ChangeTracker;
        var detect = tracker.AutoDetectChangesEnabled;
        tracker.AutoDetectChangesEnabled = false;
        try
        {
            foreach (var entry in tracker.Entries<ProjectEntity>())
            {
                if (detect) entry.DetectChanges();
                if (entry.State is EntityState.Added or EntityState.Modified or EntityState.Deleted) return true;
            }

            return false;
        }
        finally
        {
            tracker.AutoDetectChangesEnabled = detect;
        }
    }
}
