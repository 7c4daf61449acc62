using System.Diagnostics;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Webhooks;

namespace Pipeliner.Server.Data.Providers;

/// <summary>
/// The webhook intake's journal on SQLite: <c>intake.db</c> in the data directory, a file with its own write lock, so that
/// a webhook's <c>202</c> waits only for its own entry's flush — not for <c>pipeliner.db</c>'s write lock, which run
/// creation, state changes and the embedded agent's writes hold in turn while runs execute (the slow answers of issue 15).
/// In the write-ahead log; an entry is committed with <c>synchronous = FULL</c> (on disk before the answer) by a
/// connection that never checkpoints — or, with a flush interval (<c>Pipeliner:Webhooks:JournalFlushEvery</c>, the
/// server's default), with <c>NORMAL</c> and flushed behind the answer by <see cref="JournalFlushBehind"/>; removals are background work (<c>NORMAL</c>): a removal a
/// power loss takes back only makes the delivery's row be inserted again, which its unique delivery id refuses. Appends
/// and removals are made one at a time (<see cref="JournalWriter"/>), appends first, so that an append never sleeps in
/// SQLite's busy handler behind a removal — flushed behind, on the request's own thread; the log is checkpointed on a
/// pool thread beside it when the intake is quiet, never by a write, and started again by a write of its own.
/// </summary>
/// <remarks>
/// The flush of a commit is cheapest when the log's blocks are already allocated: a write-ahead log that grows makes every
/// flush commit the file system's metadata too (ext4's journal, shared with everything else the machine writes). So the
/// log is grown once at start to <see cref="LogBytes"/> and recycled from its start after each checkpoint (one after
/// every <see cref="CheckpointEvery"/> removed entries), and one connection stays open for the journal's lifetime so that
/// SQLite never deletes the log when its last connection closes.
/// </remarks>
public sealed class SqliteDeliveryJournal : IDeliveryJournal, IDisposable
{
    public const string FileName = "intake.db";

    /// <summary>What the write-ahead log is grown to at start: about a thousand deliveries between two checkpoints.</summary>
    public const int LogBytes = 4 * 1024 * 1024;

    /// <summary>Entries removed between two checkpoints of the log (a few pages each: well under <see cref="LogBytes"/>, so it is reused in place).</summary>
    public const int CheckpointEvery = 64;

    /// <summary>How long no entry must have been appended before a checkpoint due is made (see <see cref="CheckpointWhenQuietAsync"/>).</summary>
    public static readonly TimeSpan QuietBeforeCheckpoint = TimeSpan.FromMilliseconds(200);

    /// <summary>How long a checkpoint due waits for a quiet moment at most: the log's growth meanwhile stays within <see cref="LogBytes"/>.</summary>
    public static readonly TimeSpan CheckpointDeferredAtMost = TimeSpan.FromSeconds(2);

    private const string Append = "PRAGMA busy_timeout = 30000; PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 0;";
    private const string AppendFlushedBehind = "PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;";
    private const string Background = "PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;";

    private readonly string _connectionString;

    // Open for the journal's lifetime: the write-ahead log (and its allocated blocks) outlive every pooled connection.
    private readonly SqliteConnection _keeper;

    private readonly JournalFlushBehind? _flushBehind;

    private readonly JournalWriter _writer;
    private int _removedSinceCheckpoint;
    private int _checkpointing;
    private long _checkpoints;
    private long _lastAppended;
    private long _logRestarts;

    /// <param name="dataDir">The data directory <see cref="FileName"/> is in.</param>
    /// <param name="flushEvery">Zero (the default): every entry is flushed to disk before <see cref="TryAppendAsync"/> returns.
    /// Above zero: entries are flushed behind it, together, at most this often (<see cref="JournalFlushBehind"/>).</param>
    public SqliteDeliveryJournal(string dataDir, TimeSpan flushEvery = default)
    {
        // An append flushed behind its answer does not wait for the disk: made on the caller's thread when no write is in
        // progress, it does not wait for the writer's thread to get a core either. A durable append's flush stays there.
        _writer = new("Intake journal writer", appendsOnCallersThread: flushEvery > TimeSpan.Zero);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(dataDir, FileName), Pooling = true }.ToString();
        using var connection = Open(Background);
        using var command = connection.CreateCommand();
        command.CommandText = """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS "Deliveries" (
                "Id" INTEGER PRIMARY KEY,
                "ProjectId" INTEGER NOT NULL,
                "UniqueDeliveryId" TEXT NOT NULL,
                "Entry" TEXT NOT NULL,
                UNIQUE ("ProjectId", "UniqueDeliveryId"));
            """;
        command.ExecuteNonQuery();
        _keeper = Open(Background);
        var logPath = Path.Combine(dataDir, FileName + "-wal");
        GrowLog(logPath);
        // The log as the last instance left it, or grown: copied whole when no reader holds it, then started again by a
        // write of its own, so that the first append does not flush the log's new header.
        if (Checkpoint()) RestartLog();
        if (flushEvery > TimeSpan.Zero) _flushBehind = new JournalFlushBehind(logPath, flushEvery);
    }

    /// <summary>The checkpoints of the log made after removals so far (after every <see cref="CheckpointEvery"/> removed entries).</summary>
    public long Checkpoints => Interlocked.Read(ref _checkpoints);

    /// <summary>The writes made after a checkpoint to start the log again at its beginning (see <see cref="RestartLog"/>).</summary>
    public long LogRestarts => Interlocked.Read(ref _logRestarts);

    /// <summary>The flushes made behind the answers; 0 when every entry is flushed before its answer.</summary>
    public long FlushesBehind => _flushBehind?.Flushes ?? 0;

    public void Dispose()
    {
        _writer.Dispose();
        _flushBehind?.Dispose();
        _keeper.Dispose();
    }

    /// <summary>
    /// Writes <see cref="LogBytes"/> through the log once (a filler row, removed), checkpointing it after each of the two
    /// commits: the removal and every later commit start again at the log's beginning, over blocks that exist. Nothing to do when the log is that long already.
    /// </summary>
    private void GrowLog(string logPath)
    {
        if (File.Exists(logPath) && new FileInfo(logPath).Length >= LogBytes) return;
        using var command = _keeper.CreateCommand();
        command.CommandText = """
            CREATE TABLE IF NOT EXISTS "Filler" ("Bytes" BLOB NOT NULL);
            INSERT INTO "Filler" VALUES (zeroblob($bytes));
            PRAGMA wal_checkpoint(PASSIVE);
            DELETE FROM "Filler";
            PRAGMA wal_checkpoint(PASSIVE);
            """;
        command.Parameters.AddWithValue("$bytes", LogBytes);
        command.ExecuteNonQuery();
    }

    public Task<long?> TryAppendAsync(WebhookDeliveryEntity delivery, CancellationToken cancellationToken)
    {
        if (delivery.UniqueDeliveryId is null) throw new ArgumentException("only deliveries with a forge delivery id are journaled", nameof(delivery));
        var entry = JsonSerializer.Serialize(Entry.Of(delivery), JsonSerializerOptions.Web);
        return _writer.AppendAsync(() => Write(delivery, entry));
    }

    private long? Write(WebhookDeliveryEntity delivery, string entry)
    {
        using var connection = Open(_flushBehind is null ? Append : AppendFlushedBehind);
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO "Deliveries" ("ProjectId", "UniqueDeliveryId", "Entry") VALUES ($project, $delivery, $entry)
            ON CONFLICT DO NOTHING RETURNING "Id"
            """;
        command.Parameters.AddWithValue("$project", delivery.ProjectId);
        command.Parameters.AddWithValue("$delivery", delivery.UniqueDeliveryId);
        command.Parameters.AddWithValue("$entry", entry);
        // Microsoft.Data.Sqlite runs every command synchronously: nothing to await.
        var id = command.ExecuteScalar() is long stored ? stored : (long?)null;
        Volatile.Write(ref _lastAppended, Stopwatch.GetTimestamp());
        if (id is not null) _flushBehind?.Written();
        return id;
    }

    public Task<IReadOnlyList<JournaledDelivery>> ReadAllAsync(CancellationToken cancellationToken)
    {
        using var connection = Open(Background);
        using var command = connection.CreateCommand();
        command.CommandText = """SELECT "Id", "Entry" FROM "Deliveries" ORDER BY "Id" """;
        using var reader = command.ExecuteReader();
        var entries = new List<JournaledDelivery>();
        while (reader.Read())
            entries.Add(new(reader.GetInt64(0), JsonSerializer.Deserialize<Entry>(reader.GetString(1), JsonSerializerOptions.Web)!.ToRow()));
        return Task.FromResult<IReadOnlyList<JournaledDelivery>>(entries);
    }

    public async Task RemoveAsync(IReadOnlyCollection<long> entryIds, CancellationToken cancellationToken)
    {
        if (entryIds.Count == 0) return;
        await _writer.RemoveAsync(() =>
        {
            using var connection = Open(Background);
            using var command = connection.CreateCommand();
            // Ids are numbers: written into the statement, one statement for the batch.
            command.CommandText = $"""DELETE FROM "Deliveries" WHERE "Id" IN ({string.Join(',', entryIds)})""";
            command.ExecuteNonQuery();
            if (Interlocked.Add(ref _removedSinceCheckpoint, entryIds.Count) >= CheckpointEvery && Interlocked.Exchange(ref _checkpointing, 1) == 0)
            {
                Interlocked.Exchange(ref _removedSinceCheckpoint, 0);
                _ = Task.Run(CheckpointWhenQuietAsync, CancellationToken.None);
            }
        });
    }

    /// <summary>
    /// Waits until no entry was appended for <see cref="QuietBeforeCheckpoint"/> (at most <see cref="CheckpointDeferredAtMost"/>),
    /// then checkpoints: the checkpoint's two flushes and the log's restart after it (<see cref="RestartLog"/>) fall between
    /// the webhooks of a burst, not into them.
    /// </summary>
    private async Task CheckpointWhenQuietAsync()
    {
        try
        {
            var due = Stopwatch.GetTimestamp();
            while (Stopwatch.GetElapsedTime(due) < CheckpointDeferredAtMost)
            {
                var quiet = Stopwatch.GetElapsedTime(Volatile.Read(ref _lastAppended));
                if (quiet >= QuietBeforeCheckpoint) break;
                await Task.Delay(QuietBeforeCheckpoint - quiet);
            }

            var whole = Checkpoint();
            Interlocked.Increment(ref _checkpoints);
            if (whole) await _writer.RemoveAsync(RestartLog);
        }
        catch (Exception e) when (e is SqliteException or ObjectDisposedException)
        {
            // Tried again after the next removals (the log only grows meanwhile), or the journal is closing.
        }
        finally
        {
            Interlocked.Exchange(ref _checkpointing, 0);
        }
    }

    /// <summary>
    /// Copies the log into <c>intake.db</c> (and flushes both) beside the writer, not on it: a passive checkpoint waits for
    /// no writer and no writer waits for it. True when it copied the whole log, so that the next commit starts it again at
    /// its beginning (otherwise a later checkpoint does: the log holds hundreds of deliveries before it must grow).
    /// </summary>
    private bool Checkpoint()
    {
        using var connection = Open(Background);
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
        using var reader = command.ExecuteReader();
        reader.Read();
        // (busy, frames in the log, frames copied)
        return reader.GetInt64(0) == 0 && reader.GetInt64(1) == reader.GetInt64(2);
    }

    /// <summary>
    /// The first commit after a whole log was copied starts the log again at its beginning, and SQLite flushes the log's
    /// new header before it writes on (wal.c: frames written after a restart must not reach the disk before the header
    /// that makes the old ones invalid), whatever the commit's <c>synchronous</c>. Made here, on the writer's thread as a
    /// removal is, that flush is not an append's: an append would otherwise wait for it (or, durable, flush twice).
    /// </summary>
    private void RestartLog()
    {
        using var connection = Open(Background);
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version;";
        var version = (long)command.ExecuteScalar()!;
        // Any commit restarts the log; the header's counter is the smallest one (one page), and nothing reads it.
        command.CommandText = $"PRAGMA user_version = {(version + 1) % int.MaxValue};";
        command.ExecuteNonQuery();
        Interlocked.Increment(ref _logRestarts);
    }

    private SqliteConnection Open(string pragmas)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = pragmas;
            command.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>What an entry keeps of the delivery: what the intake read from the request.</summary>
    private sealed record Entry(
        int ProjectId, string DeliveryId, string Forge, string Event, string? Ref, string? Commit, string EventJson, DateTimeOffset ReceivedAt)
    {
        public static Entry Of(WebhookDeliveryEntity d) =>
            new(d.ProjectId, d.UniqueDeliveryId!, d.Forge, d.Event, d.Ref, d.Commit, d.EventJson!, d.ReceivedAt);

        public WebhookDeliveryEntity ToRow() => new()
        {
            ProjectId = ProjectId,
            DeliveryId = DeliveryId,
            UniqueDeliveryId = DeliveryId,
            Forge = Forge,
            Event = Event,
            Ref = Ref,
            Commit = Commit,
            Outcome = DeliveryOutcomes.Received,
            EventJson = EventJson,
            ReceivedAt = ReceivedAt,
        };
    }
}
