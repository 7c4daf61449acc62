using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;

namespace Pipeliner.Server.Data.Providers;

/// <summary>The PostgreSQL database already holds data: the copy refuses to mix two installations.</summary>
public sealed class DatabaseNotEmptyException(string message) : Exception(message);

/// <summary>
/// <c>--Pipeliner:Database:CopyFrom=&lt;pipeliner.db or data directory&gt;</c> with the PostgreSQL settings: moves an
/// installation from SQLite to PostgreSQL. Migrates both to the current model (the SQLite file as a start of this
/// version would), refuses a PostgreSQL database that holds any row, copies every table of the model — parents before
/// children, each in key order, ids kept — in one transaction (a failed copy leaves the target empty), and moves each
/// identity sequence past the highest id copied. Values go through the model, so each provider stores them its own way.
/// Not copied: Hangfire's queue (server-side work in flight; recurring jobs are registered again at start) and the log
/// search index (rebuilt from the logs in the background). Logs, artifacts and Data Protection keys stay in the data
/// directory, which the PostgreSQL server keeps using.
/// </summary>
public static class DatabaseCopy
{
    public const int TargetNotEmptyExitCode = 4;
    private const int BatchSize = 1000;

    private static readonly MethodInfo CopyTableMethod = typeof(DatabaseCopy).GetMethod(nameof(CopyTableAsync), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo AnyRowsMethod = typeof(DatabaseCopy).GetMethod(nameof(AnyRowsAsync), BindingFlags.NonPublic | BindingFlags.Static)!;

    public static async Task<int> RunAsync(IServiceProvider services, string copyFrom, TextWriter output, TextWriter errors)
    {
        var file = Directory.Exists(copyFrom) ? Path.Combine(copyFrom, "pipeliner.db") : copyFrom;
        if (!File.Exists(file))
        {
            await errors.WriteLineAsync($"Pipeliner: Pipeliner:Database:CopyFrom: no SQLite database at {file} (give its pipeliner.db or the data directory holding it)");
            return 2;
        }

        if (services.GetRequiredService<IDatabaseProvider>() is not PostgresDatabase postgres)
        {
            await errors.WriteLineAsync("Pipeliner: Pipeliner:Database:CopyFrom copies into PostgreSQL: set Pipeliner:Database:Provider=postgres");
            return 2;
        }

        await using var source = new PipelinerDbContext(new DbContextOptionsBuilder<PipelinerDbContext>()
            .UseSqlite($"Data Source={file};Pooling=false").Options);
        if (!(await source.Database.GetAppliedMigrationsAsync()).Any())
        {
            await errors.WriteLineAsync($"Pipeliner: Pipeliner:Database:CopyFrom: {file} is not a Pipeliner database (no migration applied)");
            return 2;
        }

        var pending = (await source.Database.GetPendingMigrationsAsync()).ToList();
        if (pending.Count > 0)
        {
            await output.WriteLineAsync($"Pipeliner: migrating {file} to this version first ({pending.Count} migrations)");
            await source.Database.MigrateAsync();
        }

        await using var scope = services.CreateAsyncScope();
        var target = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        await postgres.MigrateAsync(target, CancellationToken.None);
        try
        {
            var copied = await CopyAsync(source, target, CancellationToken.None);
            foreach (var (table, rows) in copied) await output.WriteLineAsync($"Pipeliner: copied {rows} rows of {table}");
            await output.WriteLineAsync($"Pipeliner: copied {copied.Sum(c => c.Rows)} rows in {copied.Count} tables from {file} into PostgreSQL.");
            return 0;
        }
        catch (DatabaseNotEmptyException e)
        {
            await errors.WriteLineAsync($"Pipeliner: {e.Message}");
            return TargetNotEmptyExitCode;
        }
    }

    /// <summary>Copies every table of <paramref name="source"/> into the empty PostgreSQL <paramref name="target"/>; returns the rows per table.</summary>
    public static async Task<List<(string Table, long Rows)>> CopyAsync(PipelinerDbContext source, PipelinerDbContext target, CancellationToken cancellationToken)
    {
        var types = InDependencyOrder(target.Model);
        foreach (var type in types)
        {
            var any = await (Task<bool>)AnyRowsMethod.MakeGenericMethod(type.ClrType).Invoke(null, [target, cancellationToken])!;
            if (any)
            {
                throw new DatabaseNotEmptyException(
                    $"the PostgreSQL database is not empty (table \"{type.GetTableName()}\" has rows): copy into a new, empty database; " +
                    "nothing was copied");
            }
        }

        target.ChangeTracker.AutoDetectChangesEnabled = false;
        var copied = new List<(string, long)>();
        await using var transaction = await target.Database.BeginTransactionAsync(cancellationToken);
        foreach (var type in types)
        {
            var rows = await (Task<long>)CopyTableMethod.MakeGenericMethod(type.ClrType).Invoke(null, [source, target, type, cancellationToken])!;
            await MoveSequenceAsync(target, type, cancellationToken);
            copied.Add((type.GetTableName()!, rows));
        }

        await transaction.CommitAsync(cancellationToken);
        return copied;
    }

    private static Task<bool> AnyRowsAsync<T>(PipelinerDbContext db, CancellationToken cancellationToken) where T : class =>
        db.Set<T>().AnyAsync(cancellationToken);

    private static async Task<long> CopyTableAsync<T>(PipelinerDbContext source, PipelinerDbContext target, IEntityType type, CancellationToken cancellationToken)
        where T : class
    {
        if (type.GetProperties().FirstOrDefault(p => p.IsShadowProperty()) is { } shadow)
            throw new NotSupportedException($"{type.DisplayName()}.{shadow.Name} is a shadow property, which this copy cannot carry: give it a CLR property");
        var key = type.FindPrimaryKey() ?? throw new NotSupportedException($"{type.DisplayName()} has no key");
        IQueryable<T> rows = source.Set<T>().AsNoTracking();
        IOrderedQueryable<T>? ordered = null;
        foreach (var property in key.Properties)
        {
            var name = property.Name;
            ordered = ordered is null ? rows.OrderBy(e => EF.Property<object>(e, name)) : ordered.ThenBy(e => EF.Property<object>(e, name));
        }

        long count = 0;
        await foreach (var row in ordered!.AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            target.Set<T>().Add(row);
            if (++count % BatchSize == 0) await SaveAsync(target, cancellationToken);
        }

        await SaveAsync(target, cancellationToken);
        return count;
    }

    private static async Task SaveAsync(PipelinerDbContext target, CancellationToken cancellationToken)
    {
        await target.SaveChangesAsync(cancellationToken);
        target.ChangeTracker.Clear();
    }

    /// <summary>The next id of a generated key: past the highest one copied.</summary>
    private static async Task MoveSequenceAsync(PipelinerDbContext target, IEntityType type, CancellationToken cancellationToken)
    {
        var key = type.FindPrimaryKey()!.Properties;
        if (key.Count != 1 || key[0].ValueGenerated != ValueGenerated.OnAdd || key[0].ClrType != typeof(long) && key[0].ClrType != typeof(int)) return;
        var table = type.GetTableName()!;
        var column = key[0].GetColumnName();
        // In the copy's transaction (EF runs it there): a failed copy leaves the sequences as they were.
        // The names come from the model, never from input.
        var sql = $"SELECT setval(pg_get_serial_sequence(@table, @column), coalesce((SELECT max(\"{column}\") FROM \"{table}\"), 0) + 1, false)";
        await target.Database.ExecuteSqlRawAsync(sql,
            [new NpgsqlParameter("table", $"\"{table}\""), new NpgsqlParameter("column", column)], cancellationToken);
    }

    /// <summary>Entity types, each after every type it refers to (a reference to itself aside: rows are copied in key order).</summary>
    public static List<IEntityType> InDependencyOrder(IModel model)
    {
        var types = model.GetEntityTypes().Where(t => t.GetTableName() is not null && !t.IsOwned()).OrderBy(t => t.GetTableName(), StringComparer.Ordinal).ToList();
        var ordered = new List<IEntityType>();
        var placed = new HashSet<IEntityType>();
        while (ordered.Count < types.Count)
        {
            var ready = types.FirstOrDefault(t => !placed.Contains(t)
                && t.GetForeignKeys().All(fk => fk.PrincipalEntityType == t || placed.Contains(fk.PrincipalEntityType)))
                ?? throw new NotSupportedException("the model's foreign keys form a cycle between tables: " +
                                                   string.Join(", ", types.Where(t => !placed.Contains(t)).Select(t => t.GetTableName())));
            ordered.Add(ready);
            placed.Add(ready);
        }

        return ordered;
    }
}
