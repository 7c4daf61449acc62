using System.Data.Common;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Pipeliner.Server.Data.Providers;

/// <summary>
/// Takes turns for SQLite's one write lock inside the process (<see cref="WriteTurns"/>), before SQLite is asked for it:
/// a transaction takes its turn before its <c>BEGIN</c> and leaves it at its commit, rollback or failure (or when its
/// connection closes, or its next command runs without it); a writing statement outside a transaction takes it for that
/// statement (and its reader, for <c>RETURNING</c>). Only writes wait; reads never do (the write-ahead log).
/// <para>
/// Without it every writer waited inside SQLite's busy handler, which sleeps 1, 2, 5, 10, 15, 20, 25… ms between tries
/// on a thread-pool thread (Microsoft.Data.Sqlite runs every command synchronously): by that schedule a webhook's one
/// <c>INSERT</c> behind a run creation that holds the lock 9 ms gets it after 18 ms, behind one of 19 ms after 33 ms, and
/// whichever writer tries next takes the lock, the embedded agent's claims and lease extensions as well. With turns, the next
/// writer is woken the moment the lock is left, a writer an HTTP request waits for (a webhook's <c>202</c>, an agent's
/// report) goes before the background's run creations and job transitions, and a waiting writer holds no thread.
/// </para>
/// Registered only with <c>Pipeliner:Database:SqliteWriteTurns=true</c> (off by default: on a loaded 2-core machine the
/// hand-off to the next waiter, which must first get a pool thread and a core, was not faster than SQLite's own retries;
/// docs/performance.md, "The webhook's 202 with the embedded agent"). One server per SQLite file, so the process's turns
/// are the whole story; a writer that does not get its turn within
/// SQLite's own busy timeout goes on without it and waits in SQLite as before (a safety net, never a deadlock).
/// </summary>
public sealed class SqliteWriteGate(WriteTurns turns, IHttpContextAccessor http, ILogger<SqliteWriteGate> logger)
    : IDbCommandInterceptor, IDbTransactionInterceptor, IDbConnectionInterceptor
{
    private static readonly TimeSpan Patience = TimeSpan.FromMilliseconds(SqliteConnectionSettings.BusyTimeoutMilliseconds);

    /// <summary>A turn held this long is logged at Debug with its first statement (what other writers waited for).</summary>
    private static readonly TimeSpan LongHold = TimeSpan.FromMilliseconds(5);

    // The connections that hold the turn now, and for what.
    private readonly ConditionalWeakTable<DbConnection, Holder> _holders = new();

    /// <summary>Whether the command writes: anything but a query or a pragma (EF Core's tags are comments before it).</summary>
    public static bool Writes(string text)
    {
        var span = text.AsSpan();
        while (true)
        {
            span = span.TrimStart();
            if (!span.StartsWith("--")) break;
            var end = span.IndexOf('\n');
            if (end < 0) return false;
            span = span[(end + 1)..];
        }

        return !(span.StartsWith("SELECT", StringComparison.OrdinalIgnoreCase) || span.StartsWith("PRAGMA", StringComparison.OrdinalIgnoreCase)
                 || span.StartsWith("EXPLAIN", StringComparison.OrdinalIgnoreCase));
    }

    // Transactions: the turn from before BEGIN to the end.
    public InterceptionResult<DbTransaction> TransactionStarting(DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result)
    {
        Leave(connection); // a transaction before it on this connection ended without an end EF Core reports
        Take(connection, forTransaction: true, Stopwatch.GetTimestamp(), turns.Enter(Urgent, Patience));
        return result;
    }

    public async ValueTask<InterceptionResult<DbTransaction>> TransactionStartingAsync(
        DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result, CancellationToken cancellationToken = default)
    {
        Leave(connection); // a transaction before it on this connection ended without an end EF Core reports
        var since = Stopwatch.GetTimestamp();
        Take(connection, forTransaction: true, since, await turns.EnterAsync(Urgent, Patience, cancellationToken));
        return result;
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Leave(ConnectionOf(eventData));

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default) =>
        Left(ConnectionOf(eventData));

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Leave(ConnectionOf(eventData));

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default) =>
        Left(ConnectionOf(eventData));

    public void TransactionFailed(DbTransaction transaction, TransactionErrorEventData eventData) => Leave(ConnectionOf(eventData));

    public Task TransactionFailedAsync(DbTransaction transaction, TransactionErrorEventData eventData, CancellationToken cancellationToken = default) =>
        Left(ConnectionOf(eventData));

    // Statements outside a transaction: the turn for the statement (and its reader).
    public InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        BeforeCommand(command);
        return result;
    }

    public async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        await BeforeCommandAsync(command, cancellationToken);
        return result;
    }

    public InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        BeforeCommand(command);
        return result;
    }

    public async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        await BeforeCommandAsync(command, cancellationToken);
        return result;
    }

    public InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        BeforeCommand(command);
        return result;
    }

    public async ValueTask<InterceptionResult<object>> ScalarExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        await BeforeCommandAsync(command, cancellationToken);
        return result;
    }

    public int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        LeaveStatement(command.Connection);
        return result;
    }

    public async ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        await Left(command.Connection, statementOnly: true);
        return result;
    }

    public object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result)
    {
        LeaveStatement(command.Connection);
        return result;
    }

    public async ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default)
    {
        await Left(command.Connection, statementOnly: true);
        return result;
    }

    // A statement's reader keeps the turn until it is disposed (SQLite commits a RETURNING statement when it is reset).
    public InterceptionResult DataReaderDisposing(DbCommand command, DataReaderDisposingEventData eventData, InterceptionResult result)
    {
        LeaveStatement(command.Connection);
        return result;
    }

    public void CommandFailed(DbCommand command, CommandErrorEventData eventData) => LeaveStatement(command.Connection);

    public Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default) =>
        Left(command.Connection, statementOnly: true);

    public void CommandCanceled(DbCommand command, CommandEndEventData eventData) => LeaveStatement(command.Connection);

    public Task CommandCanceledAsync(DbCommand command, CommandEndEventData eventData, CancellationToken cancellationToken = default) =>
        Left(command.Connection, statementOnly: true);

    // A transaction disposed without its end (an exception on the way) is over when its connection closes.
    public InterceptionResult ConnectionClosing(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
    {
        Leave(connection);
        return result;
    }

    public async ValueTask<InterceptionResult> ConnectionClosingAsync(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
    {
        await Left(connection);
        return result;
    }

    public InterceptionResult ConnectionDisposing(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
    {
        Leave(connection);
        return result;
    }

    public async ValueTask<InterceptionResult> ConnectionDisposingAsync(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
    {
        await Left(connection);
        return result;
    }

    private bool Urgent => http.HttpContext is not null;

    // The transaction forgets its connection once it ended (Microsoft.Data.Sqlite): the context still knows it.
    private static DbConnection? ConnectionOf(TransactionEventData eventData) => eventData.Context?.Database.GetDbConnection();

    private void BeforeCommand(DbCommand command)
    {
        if (NeedsTurn(command) is { } connection) Take(connection, forTransaction: false, Stopwatch.GetTimestamp(), turns.Enter(Urgent, Patience), command.CommandText);
    }

    private async ValueTask BeforeCommandAsync(DbCommand command, CancellationToken cancellationToken)
    {
        if (NeedsTurn(command) is not { } connection) return;
        var since = Stopwatch.GetTimestamp();
        Take(connection, forTransaction: false, since, await turns.EnterAsync(Urgent, Patience, cancellationToken), command.CommandText);
    }

    /// <summary>The command's connection when the command must take a turn first: a write outside a transaction.</summary>
    private DbConnection? NeedsTurn(DbCommand command)
    {
        if (command.Connection is not { } connection) return null;
        if (command.Transaction is not null)
        {
            // The transaction has the turn; its first statement names it in the Debug log of a long hold.
            if (_holders.TryGetValue(connection, out var owner) && owner.FirstStatement is null && logger.IsEnabled(LogLevel.Debug))
                owner.FirstStatement = command.CommandText;
            return null;
        }

        if (_holders.TryGetValue(connection, out var holder))
        {
            // The transaction that took the turn was disposed without an end EF Core reports: it is over.
            if (holder.ForTransaction) Leave(connection);
            else return null;
        }

        return Writes(command.CommandText) ? connection : null;
    }

    private void Take(DbConnection connection, bool forTransaction, long since, bool given, string? statement = null)
    {
        var waited = Stopwatch.GetElapsedTime(since);
        if (waited > TimeSpan.FromMilliseconds(1) && logger.IsEnabled(LogLevel.Debug))
            logger.LogDebug("Waited {Waited:0.0} ms for the write turn ({Kind}, {What})", waited.TotalMilliseconds, Urgent ? "urgent" : "background",
                forTransaction ? "transaction" : "statement");
        if (!given)
        {
            logger.LogWarning("No write turn within {Patience}: writing without one (SQLite's busy handler waits for the lock)", Patience);
            return;
        }

        _holders.AddOrUpdate(connection, new Holder(forTransaction, Stopwatch.GetTimestamp()) { FirstStatement = statement });
    }

    private void LeaveStatement(DbConnection? connection)
    {
        if (connection is not null && _holders.TryGetValue(connection, out var holder) && !holder.ForTransaction) Leave(connection);
    }

    private void Leave(DbConnection? connection)
    {
        if (connection is null || !_holders.TryGetValue(connection, out var holder) || !_holders.Remove(connection)) return;
        turns.Leave();
        var held = Stopwatch.GetElapsedTime(holder.Since);
        if (held >= LongHold && logger.IsEnabled(LogLevel.Debug))
        {
            logger.LogDebug("Held the write turn {Held:0.0} ms ({What}: {Statement})", held.TotalMilliseconds, holder.ForTransaction ? "transaction" : "statement",
                holder.FirstStatement is { } text ? text[..Math.Min(text.Length, 120)].ReplaceLineEndings(" ") : "no statement");
        }
    }

    private Task Left(DbConnection? connection, bool statementOnly = false)
    {
        if (statementOnly) LeaveStatement(connection);
        else Leave(connection);
        return Task.CompletedTask;
    }

    private sealed record Holder(bool ForTransaction, long Since)
    {
        public string? FirstStatement { get; set; }
    }
}
