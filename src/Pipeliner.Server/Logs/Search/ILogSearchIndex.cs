using Pipeliner.Server.Logs.Store;

namespace Pipeliner.Server.Logs.Search;

/// <summary>What the index knows of a log besides its text: the run's fixed facts, for filters and answers.</summary>
public sealed record IndexedLog(LogRef Log, string Project, string? Branch, int Number, DateTimeOffset Created);

/// <summary>A piece of a log (a few hundred lines): where it is in the log and its text as shown, secrets masked.</summary>
public sealed record IndexChunk(long FirstLine, long Offset, int Length, string Text);

/// <summary>A log to index: its facts and its pieces in order (read, and so its log opened, only as the index takes them).</summary>
public sealed record LogToIndex(IndexedLog Log, IAsyncEnumerable<IndexChunk> Chunks);

/// <summary>
/// A search: <see cref="Query"/> a literal text of at least 3 characters (any case); the other fields narrow it down
/// (null: no limit). <see cref="Since"/> and <see cref="Until"/> are about when the run was created.
/// </summary>
public sealed record LogSearchFilter(string Query, string? Project, string? Branch, DateTimeOffset? Since, DateTimeOffset? Until);

/// <summary>A piece of a log that may hold the text (the index narrows down; the log itself decides).</summary>
public sealed record CandidateChunk(IndexedLog Log, long FirstLine, long Offset, int Length);

/// <summary>How big the index is.</summary>
public sealed record LogSearchIndexStats(long Logs, long Chunks, long TextBytes, long IndexBytes);

/// <summary>The index is unreadable (damaged or not an index); <c>POST /api/admin/search/rebuild</c> repairs it.</summary>
public sealed class LogSearchIndexDamagedException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// The full-text index of final logs, for search across runs: a substring index (trigrams) over pieces of logs.
/// It holds no log text a reader could get back (only what is needed to find candidates); the log store stays the
/// source of truth, so the index can always be dropped and rebuilt from it. One implementation per database:
/// SQLite FTS5 over each piece's distinct trigrams (<see cref="Sqlite.SqliteLogSearchIndex"/>) and a GIN index of the same
/// trigrams as codes on PostgreSQL (<see cref="Postgres.PostgresLogSearchIndex"/>), chosen by <see cref="Data.Providers.IDatabaseProvider.CreateLogSearchIndex"/>.
/// </summary>
public interface ILogSearchIndex
{
    /// <summary>How many lines a piece holds at most (<see cref="LogChunker"/>): what suits this index's size and speed.</summary>
    int LinesPerChunk { get; }

    Task<bool> ContainsAsync(LogRef log, CancellationToken cancellationToken);

    /// <summary>Indexes a log's pieces, in order, replacing whatever the index held for that log.</summary>
    Task AddAsync(IndexedLog log, IAsyncEnumerable<IndexChunk> chunks, CancellationToken cancellationToken) =>
        AddAsync([new LogToIndex(log, chunks)], cancellationToken);

    /// <summary>
    /// Indexes several logs in one go (one transaction: the index's fixed cost per write, and the sorting and merging
    /// of its entries, are shared by all of them), each replacing whatever the index held for that log.
    /// </summary>
    Task AddAsync(IReadOnlyList<LogToIndex> logs, CancellationToken cancellationToken);

    Task RemoveAsync(LogRef log, CancellationToken cancellationToken);

    /// <summary>Removes every log of these runs from the index, in one go (retention).</summary>
    Task RemoveRunsAsync(IReadOnlyCollection<long> runIds, CancellationToken cancellationToken);

    /// <summary>Gives space freed by removals back to the disk when it is a large part of the index; returns the bytes given back.</summary>
    Task<long> CompactAsync(CancellationToken cancellationToken);

    /// <summary>Pieces that may hold the query, newest run first; within a run in the order they were indexed (each log's lines in order).</summary>
    IAsyncEnumerable<CandidateChunk> CandidatesAsync(LogSearchFilter filter, CancellationToken cancellationToken);

    /// <summary>Empties the index, whatever state it is in (also a damaged one).</summary>
    Task ClearAsync(CancellationToken cancellationToken);

    /// <summary>Attempts up to this id (in the main database) are all indexed or need no index; 0 when unknown.</summary>
    Task<long> GetCaughtUpToAsync(CancellationToken cancellationToken);

    Task SetCaughtUpToAsync(long attemptId, CancellationToken cancellationToken);

    Task<LogSearchIndexStats> StatsAsync(CancellationToken cancellationToken);
}
