using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Data;

/// <summary>The intake's journal on a real <c>intake.db</c>: one entry per project and delivery id, kept across instances until removed.</summary>
public sealed class SqliteDeliveryJournalTests : IDisposable
{
    private readonly TempDirectory _directory = new("pipeliner-journal-");

    public void Dispose() => _directory.Dispose();

    private static WebhookDeliveryEntity Delivery(int projectId, string deliveryId) =>
        JournaledDeliveries.Received(projectId, deliveryId, """{"deliveryId":"x"}""", "refs/heads/main", "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
            new DateTimeOffset(2026, 12, 5, 4, 45, 0, TimeSpan.Zero));

    [Fact]
    public async Task TryAppendAsync_ReturnsNull_WhenTheProjectsDeliveryIsJournaledAlready()
    {
        using var journal = new SqliteDeliveryJournal(_directory.Path);

        var first = await journal.TryAppendAsync(Delivery(1, "a"), CancellationToken.None);
        var again = await journal.TryAppendAsync(Delivery(1, "a"), CancellationToken.None);
        var otherProject = await journal.TryAppendAsync(Delivery(2, "a"), CancellationToken.None);

        Assert.NotNull(first);
        Assert.Null(again);
        Assert.NotNull(otherProject);
    }

    [Fact]
    public async Task ReadAllAsync_ReturnsWhatAnEarlierInstanceLeftOldestFirst_WhenNotRemoved()
    {
        using var earlier = new SqliteDeliveryJournal(_directory.Path);
        var a = (await earlier.TryAppendAsync(Delivery(1, "a"), CancellationToken.None))!.Value;
        var b = (await earlier.TryAppendAsync(Delivery(1, "b"), CancellationToken.None))!.Value;
        var c = (await earlier.TryAppendAsync(Delivery(3, "c"), CancellationToken.None))!.Value;
        await earlier.RemoveAsync([b], CancellationToken.None);

        using var later = new SqliteDeliveryJournal(_directory.Path);
        var left = await later.ReadAllAsync(CancellationToken.None);

        Assert.Equal([a, c], left.Select(e => e.EntryId));
        var row = left[0].Delivery;
        var expected = Delivery(1, "a");
        Assert.Equal(
            (expected.ProjectId, expected.DeliveryId, expected.UniqueDeliveryId, expected.Forge, expected.Event, expected.Ref, expected.Commit,
                expected.Outcome, expected.EventJson, expected.ReceivedAt, 0L, (string?)null),
            (row.ProjectId, row.DeliveryId, row.UniqueDeliveryId, row.Forge, row.Event, row.Ref, row.Commit, row.Outcome, row.EventJson,
                row.ReceivedAt, row.Id, row.LeaseOwner));
        Assert.Equal(3, left[1].Delivery.ProjectId);
    }

    [Fact]
    public async Task Constructor_GrowsTheWriteAheadLogOnce_SoThatCommitsRewriteAllocatedBlocks()
    {
        using var journal = new SqliteDeliveryJournal(_directory.Path);
        var log = new FileInfo(_directory.Combine(SqliteDeliveryJournal.FileName + "-wal"));
        Assert.True(log.Length >= SqliteDeliveryJournal.LogBytes, $"the log has {log.Length} bytes");

        for (var i = 0; i < 20; i++) await journal.TryAppendAsync(Delivery(1, $"d{i}"), CancellationToken.None);

        log.Refresh();
        Assert.True(log.Length < SqliteDeliveryJournal.LogBytes + 64 * 1024, $"the log grew to {log.Length} bytes: commits did not start at its beginning");
    }

    [Fact]
    public async Task RemoveAsync_KeepsTheLogAtItsGrownSize_WhenBurstsOfEntriesComeAndGo()
    {
        using var journal = new SqliteDeliveryJournal(_directory.Path);
        var log = new FileInfo(_directory.Combine(SqliteDeliveryJournal.FileName + "-wal"));
        var eventJson = new string('x', 3000);

        // Ten bursts of entries appended and removed, ~12 MiB of log in all: without its checkpoints the log would grow
        // past what it was grown to; each burst ends with one (made beside the writer).
        for (var burst = 0; burst < 10; burst++)
        {
            for (var i = 0; i < SqliteDeliveryJournal.CheckpointEvery; i++)
            {
                var delivery = JournaledDeliveries.Received(1, $"d{burst}-{i}", eventJson, "refs/heads/main", "6113728f27ae82c7b1a177c8d03f9e96e0adf246", DateTimeOffset.UnixEpoch);
                var entry = (await journal.TryAppendAsync(delivery, CancellationToken.None))!.Value;
                await journal.RemoveAsync([entry], CancellationToken.None);
            }

            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (journal.Checkpoints <= burst) await Task.Delay(5, patience.Token);
        }

        log.Refresh();
        Assert.True(log.Length < SqliteDeliveryJournal.LogBytes + 64 * 1024, $"the log grew to {log.Length} bytes: it was not checkpointed and reused");
        Assert.Empty(await journal.ReadAllAsync(CancellationToken.None));
    }

    [Fact]
    public async Task RemoveAsync_RestartsTheLogWithAWriteOfItsOwn_BeforeTheNextAppend()
    {
        using var journal = new SqliteDeliveryJournal(_directory.Path);
        var restartsAtStart = journal.LogRestarts;
        var first = (await journal.TryAppendAsync(Delivery(1, "first"), CancellationToken.None))!.Value;
        var saltsBefore = LogSalts();
        Assert.Equal(restartsAtStart, journal.LogRestarts);

        // Checkpointed after this many removals; the log's restart (a new header, new salts: the old frames no longer
        // count) comes from the journal's own write, so that no append flushes the header.
        var entries = new List<long> { first };
        for (var i = 1; i < SqliteDeliveryJournal.CheckpointEvery; i++) entries.Add((await journal.TryAppendAsync(Delivery(1, $"d{i}"), CancellationToken.None))!.Value);
        await journal.RemoveAsync(entries, CancellationToken.None);
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (journal.LogRestarts == restartsAtStart) await Task.Delay(5, patience.Token);
        var saltsAfterRestart = LogSalts();
        await journal.TryAppendAsync(Delivery(1, "after"), CancellationToken.None);

        Assert.Equal(1, journal.Checkpoints);
        Assert.NotEqual(saltsBefore, saltsAfterRestart);
        Assert.Equal(saltsAfterRestart, LogSalts());
    }

    [Fact]
    public async Task RemoveAsync_PutsTheCheckpointOff_WhileEntriesKeepBeingAppended()
    {
        using var journal = new SqliteDeliveryJournal(_directory.Path);
        var entries = new List<long>();
        for (var i = 0; i < SqliteDeliveryJournal.CheckpointEvery; i++) entries.Add((await journal.TryAppendAsync(Delivery(1, $"d{i}"), CancellationToken.None))!.Value);
        await journal.RemoveAsync(entries, CancellationToken.None);

        // Appends well within the quiet time apart, for half the longest the checkpoint is put off.
        var appending = System.Diagnostics.Stopwatch.StartNew();
        var appended = 0;
        while (appending.Elapsed < SqliteDeliveryJournal.CheckpointDeferredAtMost / 2)
        {
            await journal.TryAppendAsync(Delivery(1, $"burst{appended++}"), CancellationToken.None);
            await Task.Delay(10);
        }

        var checkpointsWhileAppending = journal.Checkpoints;
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (journal.Checkpoints == 0) await Task.Delay(5, patience.Token);

        Assert.Equal(0, checkpointsWhileAppending);
        Assert.True(appended > 20, $"only {appended} appends");
    }

    /// <summary>The write-ahead log header's two salts: new ones each time the log starts again at its beginning.</summary>
    private byte[] LogSalts()
    {
        using var log = new FileStream(_directory.Combine(SqliteDeliveryJournal.FileName + "-wal"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var header = new byte[32];
        log.ReadExactly(header);
        return header[16..24];
    }

    [Fact]
    public async Task TryAppendAsync_AcceptsTheDeliveryAgain_WhenItsEntryWasRemoved()
    {
        using var journal = new SqliteDeliveryJournal(_directory.Path);
        var first = (await journal.TryAppendAsync(Delivery(1, "a"), CancellationToken.None))!.Value;
        await journal.RemoveAsync([first], CancellationToken.None);

        Assert.NotNull(await journal.TryAppendAsync(Delivery(1, "a"), CancellationToken.None));
    }

    [Fact]
    public async Task TryAppendAsync_FlushesNothingBehind_WhenNoFlushIntervalIsSet()
    {
        using var journal = new SqliteDeliveryJournal(_directory.Path);

        await journal.TryAppendAsync(Delivery(1, "a"), CancellationToken.None);
        await journal.TryAppendAsync(Delivery(1, "b"), CancellationToken.None);

        Assert.Equal(0, journal.FlushesBehind);
        Assert.Equal(2, (await journal.ReadAllAsync(CancellationToken.None)).Count);
    }

    [Fact]
    public async Task TryAppendAsync_FlushesTheLogBehindTheAnswer_WhenAFlushIntervalIsSet()
    {
        using var journal = new SqliteDeliveryJournal(_directory.Path, flushEvery: TimeSpan.FromMilliseconds(10));

        var entry = await journal.TryAppendAsync(Delivery(1, "a"), CancellationToken.None);

        Assert.NotNull(entry);
        await WaitForFlushesAsync(journal, 1);
        // Committed for every other connection (another instance reads it), with or without the flush.
        using var other = new SqliteDeliveryJournal(_directory.Path);
        Assert.Equal([entry.Value], (await other.ReadAllAsync(CancellationToken.None)).Select(e => e.EntryId));
    }

    [Fact]
    public async Task TryAppendAsync_FlushesNothingBehind_WhenTheDeliveryIsJournaledAlready()
    {
        using var journal = new SqliteDeliveryJournal(_directory.Path, flushEvery: TimeSpan.FromMilliseconds(10));
        await journal.TryAppendAsync(Delivery(1, "a"), CancellationToken.None);
        await WaitForFlushesAsync(journal, 1);

        Assert.Null(await journal.TryAppendAsync(Delivery(1, "a"), CancellationToken.None));
        await Task.Delay(200);

        Assert.Equal(1, journal.FlushesBehind);
    }

    [Fact]
    public async Task Dispose_DoesNothingMore_WhenCalledAgain()
    {
        // The server's delivery transfer disposes the journal it owns, and the container disposes it again at shutdown.
        var journal = new SqliteDeliveryJournal(_directory.Path, flushEvery: TimeSpan.FromSeconds(10));
        await journal.TryAppendAsync(Delivery(1, "a"), CancellationToken.None);

        journal.Dispose();
        journal.Dispose();

        Assert.Equal(1, journal.FlushesBehind);
    }

    [Fact]
    public async Task Dispose_FlushesTheEntriesLeft_WhenTheIntervalHasNotComeYet()
    {
        var journal = new SqliteDeliveryJournal(_directory.Path, flushEvery: TimeSpan.FromSeconds(10));
        await journal.TryAppendAsync(Delivery(1, "a"), CancellationToken.None);
        await WaitForFlushesAsync(journal, 1);
        // Inside the 10 s after that flush: waits for the next one.
        await journal.TryAppendAsync(Delivery(1, "b"), CancellationToken.None);

        journal.Dispose();

        Assert.Equal(2, journal.FlushesBehind);
    }

    private static async Task WaitForFlushesAsync(SqliteDeliveryJournal journal, long flushes)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (journal.FlushesBehind < flushes) await Task.Delay(5, patience.Token);
    }
}
