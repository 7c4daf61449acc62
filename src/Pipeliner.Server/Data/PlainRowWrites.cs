using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Pipeliner.Server.Data;

/// <summary>
/// A tracked row one change writes: its entry, what is written (<see cref="EntityState.Modified"/>: the <paramref name="Columns"/>,
/// whether or not the entry marks them modified; <see cref="EntityState.Added"/> or <see cref="EntityState.Deleted"/>: the
/// entry's own state), and for a change its columns as bits (bit i: the i-th of the entity type's <c>GetProperties()</c>,
/// the order of <see cref="EntityEntry.Properties"/>).
/// </summary>
public readonly record struct RowChange(EntityEntry Entry, EntityState State, ulong Columns);

/// <summary>
/// Writes tracked rows' changes as plain statements, one per row, instead of <c>SaveChanges</c>: an <c>UPDATE</c> of the
/// modified columns by key, an <c>INSERT … RETURNING</c> the generated key, a <c>DELETE</c> by key. Each statement is
/// written once per model and shape (entity type, state, columns) from the model's own names and type mappings, and runs
/// as an EF Core command (the same parameters, value converters, interceptors, logging and transaction as a save), on
/// SQLite and PostgreSQL alike. <c>SaveChanges</c> finds the rows, sorts them, makes a command per row and writes its
/// SQL text again at every call: on the run coordinator's small changes (a job's claim, its end) that was most of the
/// save's cost (docs/performance.md). The rows are then accepted as a save accepts them: unchanged, with their new keys.
/// </summary>
public static class PlainRowWrites
{
    private static readonly ConditionalWeakTable<IModel, Statements> ByModel = [];

    private static readonly EntityState[] Order = [EntityState.Deleted, EntityState.Modified, EntityState.Added];

    /// <summary>Whether <paramref name="entry"/>'s change can be written here (else the caller saves through EF Core).</summary>
    public static bool Fits(IEntityType type, EntityState state) => state switch
    {
        EntityState.Modified or EntityState.Deleted => Shape.Of(type) is { Key: not null },
        EntityState.Added => Shape.Of(type) is { Key: not null, Insertable: true },
        _ => false,
    };

    /// <summary>The entity type's properties in the order of a <see cref="RowChange"/>'s column bits.</summary>
    public static IReadOnlyList<IProperty> PropertiesOf(IEntityType type) => Shape.Of(type).Properties;

    /// <summary>
    /// Writes <paramref name="rows"/> (each one that <see cref="Fits"/>): removals first, then changes, then additions, in
    /// one transaction when there are several and the context has none yet; then accepts them.
    /// </summary>
    public static async Task WriteAsync(DbContext db, IReadOnlyList<RowChange> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0) return;
        var statements = ByModel.GetValue(db.Model, _ => new Statements());
        var connection = db.GetService<IRelationalConnection>();
        var logger = db.GetService<IRelationalCommandDiagnosticsLogger>();
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
                    var shape = Shape.Of(entry.Metadata);
                    var command = statements.For(db, shape, state, columns);
                    var parameters = new RelationalCommandParameterObject(
                        connection, Values(entry, shape, state, columns), null, db, logger, CommandSource.SaveChanges);
                    if (state == EntityState.Added)
                    {
                        keys[i] = await command.ExecuteScalarAsync(parameters, cancellationToken)
                                  ?? throw new DbUpdateException($"The insert of a {shape.Type.DisplayName()} row returned no key");
                    }
                    else if (await command.ExecuteNonQueryAsync(parameters, cancellationToken) != 1)
                    {
                        throw new DbUpdateConcurrencyException(
                            $"The {(state == EntityState.Deleted ? "removal" : "change")} of a {shape.Type.DisplayName()} row found no row: it was removed meanwhile");
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

    private static Dictionary<string, object?> Values(EntityEntry entry, Shape shape, EntityState state, ulong columns)
    {
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (state == EntityState.Added)
        {
            var inserted = entry.CurrentValues;
            foreach (var property in shape.Inserted) values[Parameter(values.Count)] = inserted[property];
            return values;
        }

        if (state == EntityState.Modified)
        {
            var current = entry.CurrentValues;
            foreach (var property in shape.Columns(columns)) values[Parameter(values.Count)] = current[property];
        }

        values[Parameter(values.Count)] = entry.OriginalValues[shape.Key!];
        return values;
    }

    /// <summary>As a save leaves its rows: a change's values as the original ones and nothing marked modified, an addition with its key, a removal untracked.</summary>
    private static void Accept(RowChange row, object? key)
    {
        var (entry, state, columns) = row;
        switch (state)
        {
            case EntityState.Modified:
                var original = entry.OriginalValues;
                var current = entry.CurrentValues;
                foreach (var property in Shape.Of(entry.Metadata).Columns(columns)) original[property] = current[property];
                // Marked by a caller (every column it marked is in the row's): unchanged now, its values kept as they are.
                if (entry.State == EntityState.Modified) entry.State = EntityState.Unchanged;
                break;
            case EntityState.Added:
                var keyProperty = Shape.Of(entry.Metadata).Key!;
                entry.Property(keyProperty).CurrentValue = Convert.ChangeType(key, keyProperty.ClrType, System.Globalization.CultureInfo.InvariantCulture);
                entry.State = EntityState.Unchanged;
                break;
            case EntityState.Deleted:
                entry.State = EntityState.Detached;
                break;
        }
    }

    private static string Parameter(int index) => index switch
    {
        < ParameterNames.Length => ParameterNames.Names[index],
        _ => "p" + index.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static class ParameterNames
    {
        public const int Length = 64;
        public static readonly string[] Names = Enumerable.Range(0, Length).Select(i => "p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>What an entity type's plain statements need of it: its key, its columns in order, those an insert writes.</summary>
    private sealed class Shape
    {
        private static readonly ConditionalWeakTable<IEntityType, Shape> ByType = [];

        public required IEntityType Type { get; init; }

        /// <summary>The single-column key; null where the key is composite (not written here).</summary>
        public IProperty? Key { get; init; }

        public required IProperty[] Properties { get; init; }

        /// <summary>The key is generated by the database on insert and nothing else is: an insert writes every other column.</summary>
        public bool Insertable { get; init; }

        public required IProperty[] Inserted { get; init; }

        public static Shape Of(IEntityType type) => ByType.GetValue(type, Create);

        public IEnumerable<IProperty> Columns(ulong columns)
        {
            for (var i = 0; i < Properties.Length && columns >> i != 0; i++)
            {
                if ((columns & (1UL << i)) != 0) yield return Properties[i];
            }
        }

        private static Shape Create(IEntityType type)
        {
            var properties = type.GetProperties().ToArray();
            var key = type.FindPrimaryKey() is { Properties: [var single] } && properties.Length <= 64 ? single : null;
            return new Shape
            {
                Type = type,
                Key = key,
                Properties = properties,
                Insertable = key is { ValueGenerated: ValueGenerated.OnAdd }
                             && properties.All(p => p == key || p.ValueGenerated == ValueGenerated.Never),
                Inserted = properties.Where(p => p != key).ToArray(),
            };
        }
    }

    /// <summary>One model's statements by shape, made on first use.</summary>
    private sealed class Statements
    {
        private readonly ConcurrentDictionary<(IEntityType Type, EntityState State, ulong Columns), IRelationalCommand> _commands = new();

        public IRelationalCommand For(DbContext db, Shape shape, EntityState state, ulong columns) =>
            _commands.TryGetValue((shape.Type, state, columns), out var command)
                ? command
                : _commands.GetOrAdd((shape.Type, state, columns), _ => Build(db, shape, state, columns));

        private static IRelationalCommand Build(DbContext db, Shape shape, EntityState state, ulong columns)
        {
            var sql = db.GetService<ISqlGenerationHelper>();
            var builder = db.GetService<IRelationalCommandBuilderFactory>().Create();
            var table = StoreObjectIdentifier.Table(shape.Type.GetTableName()!, shape.Type.GetSchema());
            var text = new StringBuilder();
            var count = 0;

            string Column(IProperty property) => sql.DelimitIdentifier(property.GetColumnName(table)!);

            string Value(IProperty property)
            {
                var name = Parameter(count++);
                builder.AddParameter(name, sql.GenerateParameterName(name), property.GetRelationalTypeMapping(), property.IsNullable);
                return sql.GenerateParameterNamePlaceholder(name);
            }

            var tableName = sql.DelimitIdentifier(table.Name, table.Schema);
            switch (state)
            {
                case EntityState.Added:
                    text.Append("INSERT INTO ").Append(tableName).Append(" (")
                        .AppendJoin(", ", shape.Inserted.Select(Column)).Append(") VALUES (")
                        .AppendJoin(", ", shape.Inserted.Select(Value)).Append(") RETURNING ").Append(Column(shape.Key!));
                    break;
                case EntityState.Modified:
                    text.Append("UPDATE ").Append(tableName).Append(" SET ")
                        .AppendJoin(", ", shape.Columns(columns).Select(p => $"{Column(p)} = {Value(p)}"))
                        .Append(" WHERE ").Append(Column(shape.Key!)).Append(" = ").Append(Value(shape.Key!));
                    break;
                default:
                    text.Append("DELETE FROM ").Append(tableName).Append(" WHERE ").Append(Column(shape.Key!)).Append(" = ").Append(Value(shape.Key!));
                    break;
            }

            builder.Append(text.ToString());
            return builder.Build();
        }
    }
}
