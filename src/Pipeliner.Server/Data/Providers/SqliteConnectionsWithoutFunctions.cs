using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Pipeliner.Server.Data.Providers;

/// <summary>
/// Creates the contexts' connections to <c>pipeliner.db</c> without the SQL functions EF Core's SQLite provider adds to
/// each (<c>regexp</c>, decimal arithmetic <c>ef_add</c>… and aggregates <c>ef_sum</c>…), which no query of Pipeliner
/// uses: its model has no decimal and no query matches a regular expression. Microsoft.Data.Sqlite hands every one of
/// them to SQLite at each open of the connection and takes it back at each close, native hooks and managed wrappers
/// allocated every time: about a tenth of a burst's garbage, and a collection inside more webhook answers.
/// </summary>
public sealed class SqliteConnectionsWithoutFunctions : DbConnectionInterceptor
{
    public static SqliteConnectionsWithoutFunctions Instance { get; } = new();

    private SqliteConnectionsWithoutFunctions()
    {
    }

    public override InterceptionResult<DbConnection> ConnectionCreating(ConnectionCreatingEventData eventData, InterceptionResult<DbConnection> result) =>
        result.HasResult || eventData.ConnectionString is null
            ? result
            : InterceptionResult<DbConnection>.SuppressWithResult(new SqliteConnection(eventData.ConnectionString));
}
