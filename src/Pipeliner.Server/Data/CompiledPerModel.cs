using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Pipeliner.Server.Data;

/// <summary>
/// A query compiled once per model (<c>EF.CompileAsyncQuery</c>): EF Core binds a compiled query to the model of the first
/// context that runs it and refuses any other, and one process may hold several models (SQLite's and PostgreSQL's contexts,
/// as the tests run servers of both side by side).
/// </summary>
public sealed class CompiledPerModel<TQuery>(Func<TQuery> compile) where TQuery : class
{
    private readonly ConditionalWeakTable<IModel, TQuery> _byModel = [];

    public TQuery For(DbContext db)
    {
        var model = db.Model;
        if (_byModel.TryGetValue(model, out var compiled)) return compiled;
        // Two first calls at once compile twice; either result is the same query.
        compiled = compile();
        _byModel.AddOrUpdate(model, compiled);
        return compiled;
    }
}
