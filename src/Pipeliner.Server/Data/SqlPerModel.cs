using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Pipeliner.Server.Data;

/// <summary>
/// A conditional write on a hot path, as one SQL statement written once per model from the model's own table and column
/// names (delimited as the provider delimits them) and run with its values as parameters. EF Core's <c>ExecuteUpdate</c>
/// translates its expression again at every call (funcletized, then looked up in the query cache), and EF Core 10 cannot
/// compile it (<see cref="CompiledPerModel{TQuery}"/>): on a claim or a delivery's settle that was most of the write's cost.
/// The statement is the same on SQLite and PostgreSQL; values go through the same interceptors as EF Core's own commands.
/// </summary>
public sealed class SqlPerModel(Func<StoreNames, string> write)
{
    private readonly ConditionalWeakTable<IModel, string> _byModel = [];

    public string For(DbContext db)
    {
        var model = db.Model;
        if (_byModel.TryGetValue(model, out var sql)) return sql;
        sql = write(new StoreNames(db));
        _byModel.AddOrUpdate(model, sql);
        return sql;
    }

    /// <summary>Runs the statement; <c>{0}</c>, <c>{1}</c>… in it are <paramref name="values"/>, in order.</summary>
    public Task<int> ExecuteAsync(DbContext db, CancellationToken cancellationToken, params object?[] values) =>
        db.Database.ExecuteSqlRawAsync(For(db), values!, cancellationToken);
}

/// <summary>The model's table and column names as the provider writes them in SQL (delimited), from its <see cref="ModelTable"/>s.</summary>
public sealed class StoreNames(DbContext db)
{
    public string Table<TEntity>() => ModelTable.Of<TEntity>(db).Name;

    public string Column<TEntity>(string property) => ModelTable.Of<TEntity>(db).Column(property).Name;
}
