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
/// connection that never checkpoints — or, with a flush interval (<c>Pipeliner:Webhooks:JournalFlushEvery</c>, off by
/// default), with <c>NORMAL</c> and flushed behind the answer by <see cref="JournalFlushBehind"/>; removals are background work (<c>NORMAL</c>): a removal a
/// power loss takes back only makes the delivery's row be inserted again, which its unique delivery id refuses. Appends
/// and removals are made by one thread (<see cref="JournalWriter"/>), appends first, so that an append never sleeps in
/// SQLite's busy handler behind a removal; the log is checkpointed on a pool thread beside it, never by a write.
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

    private const string Append = "PRAGMA busy_timeout = 30000; PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 0;";
    private const string AppendFlushedBehind = "PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;";
    private const string Background = "PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;";

    private readonly string _connectionString;

    // Open for the journal's lifetime: the write-ahead log (and its allocated blocks) outlive every pooled connection.
    private readonly SqliteConnection _keeper;

    private readonly JournalFlushBehind? _flushBehind;

    private readonly JournalWriter _writer = new("Intake journal writer");
    private int _removedSinceCheckpoint;
    private int _checkpointing;
    private long _checkpoints;

    /// <param name="dataDir">The data directory <see cref="FileName"/> is in.</param>
    /// <param name="flushEvery">Zero (the default): every entry is flushed to disk before <see cref="TryAppendAsync"/> returns.
    /// Above zero: entries are flushed behind it, together, at most this often (<see cref="JournalFlushBehind"/>).</param>
    public SqliteDeliveryJournal(string dataDir, TimeSpan flushEvery = default)
    {
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
        if (flushEvery > TimeSpan.Zero) _flushBehind = new JournalFlushBehind(logPath, flushEvery);
    }

    /// <summary>The checkpoints of the log made so far (after every <see cref="CheckpointEvery"/> removed entries).</summary>
    public long Checkpoints => Interlocked.Read(ref _checkpoints);

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
                _ = Task.Run(Checkpoint, CancellationToken.None);
            }
        });
    }

    /// <summary>
    /// Copies the log into <c>intake.db</c> (and flushes both) beside the writer, not on it: a passive checkpoint waits for
    /// no writer and no writer waits for it. The next commit after it starts the log again at its beginning when no entry
    /// was appended meanwhile (otherwise at a later checkpoint: the log holds ~1,000 deliveries before it must grow).
    /// </summary>
    private void Checkpoint()
    {
        try
        {
            using var connection = Open(Background);
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
            command.ExecuteNonQuery();
            Interlocked.Increment(ref _checkpoints);
        }
        catch (SqliteException)
        {
            // Tried again after the next removals; the log only grows meanwhile.
        }
        finally
        {
            Interlocked.Exchange(ref _checkpointing, 0);
        }
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
