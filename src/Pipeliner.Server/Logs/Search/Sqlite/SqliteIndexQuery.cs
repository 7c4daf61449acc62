using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Pipeliner.Server.Logs.Store;
using static Pipeliner.Server.Logs.Search.Sqlite.SqliteIndexCommands;

namespace Pipeliner.Server.Logs.Search.Sqlite;

/// <summary>Reading the SQLite search index: the pieces holding every trigram of a query, with their logs' facts.</summary>
internal static class SqliteIndexQuery
{
    /// <summary>The pieces matching <paramref name="match"/> (an FTS5 query of trigram words) whose log passes the filter, newest first.</summary>
    public static async IAsyncEnumerable<CandidateChunk> CandidatesAsync(
        SqliteConnection connection, string match, LogSearchFilter filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The FTS table alone, in rowid order, read as far as the caller goes; the pieces' facts are looked up in batches.
        await using var matching = Command(connection, "SELECT rowid FROM chunk_text WHERE chunk_text MATCH $match ORDER BY rowid DESC");
        matching.Parameters.AddWithValue("$match", match);
        await using var rows = await Guard(() => matching.ExecuteReaderAsync(cancellationToken));
        var logs = new Dictionary<long, IndexedLog?>();
        var batch = new List<long>(BatchSize);
        var more = true;
        while (more)
        {
            batch.Clear();
            while (batch.Count < BatchSize && (more = await Guard(() => rows.ReadAsync(cancellationToken)))) batch.Add(rows.GetInt64(0));
            if (batch.Count == 0) yield break;
            foreach (var candidate in await DescribeAsync(connection, batch, logs, filter, cancellationToken)) yield return candidate;
        }
    }

    private const int BatchSize = 256;

    /// <summary>The pieces of <paramref name="ids"/> whose log passes the filter, in the order of the ids.</summary>
    private static async Task<List<CandidateChunk>> DescribeAsync(
        SqliteConnection connection, List<long> ids, Dictionary<long, IndexedLog?> logs, LogSearchFilter filter, CancellationToken cancellationToken)
    {
        await using var command = Command(connection,
            $"SELECT id, log_id, first_line, offset, length FROM chunks WHERE id IN ({string.Join(',', ids.Select(id => id.ToString(CultureInfo.InvariantCulture)))})");
        var chunks = new Dictionary<long, (long LogId, long Line, long Offset, int Length)>();
        await using (var reader = await Guard(() => command.ExecuteReaderAsync(cancellationToken)))
        {
            while (await reader.ReadAsync(cancellationToken)) chunks[reader.GetInt64(0)] = (reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt32(4));
        }

        var unknown = chunks.Values.Select(c => c.LogId).Where(id => !logs.ContainsKey(id)).Distinct().ToList();
        if (unknown.Count > 0)
        {
            await using var describe = Command(connection,
                $"SELECT id, run_id, job, attempt, path, project, branch, number, created FROM logs WHERE id IN ({string.Join(',', unknown.Select(id => id.ToString(CultureInfo.InvariantCulture)))})");
            await using var reader = await Guard(() => describe.ExecuteReaderAsync(cancellationToken));
            while (await reader.ReadAsync(cancellationToken))
            {
                var log = new IndexedLog(new LogRef(reader.GetInt64(1), reader.GetString(2), reader.GetInt32(3), reader.GetString(4)), reader.GetString(5),
                    reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetInt32(7), new DateTimeOffset(reader.GetInt64(8), TimeSpan.Zero));
                logs[reader.GetInt64(0)] = Passes(log, filter) ? log : null;
            }
        }

        var found = new List<CandidateChunk>(ids.Count);
        foreach (var id in ids)
        {
            if (chunks.TryGetValue(id, out var chunk) && logs.GetValueOrDefault(chunk.LogId) is { } log)
                found.Add(new CandidateChunk(log, chunk.Line, chunk.Offset, chunk.Length));
        }

        return found;
    }

    private static bool Passes(IndexedLog log, LogSearchFilter filter) =>
        (filter.Project is null || log.Project == filter.Project) && (filter.Branch is null || log.Branch == filter.Branch)
        && (filter.Since is null || log.Created >= filter.Since) && (filter.Until is null || log.Created <= filter.Until);
}
