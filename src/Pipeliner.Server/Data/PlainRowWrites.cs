using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Pipeliner.Server.Data;

/// <summary>
/// A tracked row one change writes: its entry, what is written (<see cref="EntityState.Modified"/>: the <paramref name="Columns"/>,
/// whether or not the entry marks them modified; <see cref="EntityState.Added"/> or <see cref="EntityState.Deleted"/>: the
/// entry's own state), and for a change its columns as bits (bit i: the i-th of the table's <see cref="ModelTable.Columns"/>,
/// the entity type's <c>GetProperties()</c> order).
/// </summary>
public readonly record struct RowChange(EntityEntry Entry, EntityState State, ulong Columns);

/// <summary>
/// Writes tracked rows' changes as plain statements, one per row, instead of <c>SaveChanges</c>: an <c>UPDATE</c> of the
/// modified columns by key, an <c>INSERT … RETURNING</c> the generated key, a <c>DELETE</c> by key. Each statement is
/// written once per model and shape (entity type, state, columns) as a <see cref="SqlRows"/> statement from the table's
/// <see cref="ModelTable"/> (the same parameters, value converters, interceptors, logging and transaction as a save), on
/// SQLite and PostgreSQL alike. <c>SaveChanges</c> finds the rows, sorts them, makes a command per row and writes its
/// SQL text again at every call: on the run coordinator's small changes (a job's claim, its end) that was most of the
/// save's cost (docs/performance.md). The rows are then accepted as a save accepts them: unchanged, with their new keys.
/// </summary>
public static class PlainRowWrites
{
    private static readonly ConditionalWeakTable<IModel, ConcurrentDictionary<(Type Entity, EntityState State, ulong Columns), SqlRows>> ByModel = [];

    private static readonly EntityState[] Order = [EntityState.Deleted, EntityState.Modified, EntityState.Added];

    /// <summary>Whether a row's change can be written here (else the caller saves through EF Core).</summary>
    public static bool Fits(EntityEntry entry, EntityState state)
    {
        var table = ModelTable.Of(entry.Context, entry.Metadata);
        return state switch
        {
            EntityState.Modified => table.Key is not null && table.Columns.Count <= 64,
            EntityState.Deleted => table.Key is not null,
            EntityState.Added => table is { Key.Property.ValueGenerated: ValueGenerated.OnAdd, Insertable: true },
            _ => false,
        };
    }

    /// <summary>
    /// Writes <paramref name="rows"/> (each one that <see cref="Fits"/>): removals first, then changes, then additions, in
    /// one transaction when there are several and the context has none yet; then accepts them.
    /// </summary>
    public static async Task WriteAsync(DbContext db, IReadOnlyList<RowChange> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0) return;
        var statements = ByModel.GetValue(db.Model, _ => new());
        var transaction = rows.Count > 1 && db.Database.CurrentTransaction is null
            ? await db.Database.BeginTransactionAsync(cancellationToken)
            : null;
        var keys = new object?[rows.Count];
        try
        {
            foreach (var state in Order)
            {
                for (var i = 0; i < rows.Count; i++)
                {
                    var (entry, rowState, columns) = rows[i];
                    if (rowState != state) continue;
                    var table = ModelTable.Of(db, entry.Metadata);
                    var shape = (entry.Metadata.ClrType, state, columns);
                    if (!statements.TryGetValue(shape, out var statement))
                        statement = statements.GetOrAdd(shape, SqlRows.Write(db, sql => Statement(sql, table, state, columns)));
                    var values = Values(entry, table, state, columns);
                    if (state == EntityState.Added)
                    {
                        keys[i] = await statement.ExecuteScalarAsync(db, values, cancellationToken)
                                  ?? throw new DbUpdateException($"The insert of a {entry.Metadata.DisplayName()} row returned no key");
                    }
                    else if (await statement.ExecuteNonQueryAsync(db, values, cancellationToken) != 1)
                    {
                        throw new DbUpdateConcurrencyException(
                            $"The {(state == EntityState.Deleted ? "removal" : "change")} of a {entry.Metadata.DisplayName()} row found no row: it was removed meanwhile");
                    }
                }
            }

            if (transaction is not null) await transaction.CommitAsync(cancellationToken);
        }
        finally
        {
            if (transaction is not null) await transaction.DisposeAsync();
        }

        for (var i = 0; i < rows.Count; i++) Accept(rows[i], keys[i]);
    }

    private static string Statement(SqlRowsWriter sql, ModelTable table, EntityState state, ulong columns) => state switch
    {
        EntityState.Added => $"{sql.InsertInto(table, 1)} RETURNING {table.Key!.Name}",
        EntityState.Modified =>
            $"UPDATE {table.Name} SET {string.Join(", ", table.ColumnsIn(columns).Select(c => $"{c.Name} = {sql.Parameter(c)}"))} WHERE {table.Key!.Name} = {sql.Parameter(table.Key)}",
        _ => $"DELETE FROM {table.Name} WHERE {table.Key!.Name} = {sql.Parameter(table.Key)}",
    };

    /// <summary>The statement's values, in the order of its parameters.</summary>
    private static List<object?> Values(EntityEntry entry, ModelTable table, EntityState state, ulong columns)
    {
        var values = new List<object?>();
        var current = entry.CurrentValues;
        if (state == EntityState.Added)
        {
            foreach (var column in table.Inserted) values.Add(current[column.Property]);
            return values;
        }

        if (state == EntityState.Modified)
        {
            foreach (var column in table.ColumnsIn(columns)) values.Add(current[column.Property]);
        }

        values.Add(entry.OriginalValues[table.Key!.Property]);
        return values;
    }

    /// <summary>As a save leaves its rows: a change's values as the original ones and nothing marked modified, an addition with its key, a removal untracked.</summary>
    private static void Accept(RowChange row, object? key)
    {
        var (entry, state, columns) = row;
        var table = ModelTable.Of(entry.Context, entry.Metadata);
        switch (state)
        {
            case EntityState.Modified:
                var original = entry.OriginalValues;
                var current = entry.CurrentValues;
                foreach (var column in table.ColumnsIn(columns)) original[column.Property] = current[column.Property];
                // Marked by a caller (every column it marked is in the row's): unchanged now, its values kept as they are.
                if (entry.State == EntityState.Modified) entry.State = EntityState.Unchanged;
                break;
            case EntityState.Added:
                var keyProperty = table.Key!.Property;
                entry.Property(keyProperty).CurrentValue = Convert.ChangeType(key, keyProperty.ClrType, System.Globalization.CultureInfo.InvariantCulture);
                entry.State = EntityState.Unchanged;
                break;
            case EntityState.Deleted:
                entry.State = EntityState.Detached;
                break;
        }
    }
}
