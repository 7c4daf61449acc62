using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Data;

/// <summary>
/// The run coordinator's rows written as plain statements instead of <c>SaveChanges</c>: on SQLite and PostgreSQL the
/// changed columns, the model's stored times and nulls, an insert's generated key, a removal; the rows then tracked as a save
/// leaves them (a later change writes only what changed since); a change of a row removed meanwhile fails as a save's does.
/// </summary>
public abstract class PlainRowWritesTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : PipelinerApp
{
    [Fact]
    public async Task WriteAsync_WritesChangedColumnsInsertsAndRemovals_AndLeavesTheRowsAsASaveDoes()
    {
        var jobId = await PendingJobAsync();
        var claimedAt = new DateTimeOffset(2026, 12, 6, 13, 30, 15, 123, TimeSpan.FromHours(2)).AddTicks(4567);
        var leaseUntil = claimedAt.AddMinutes(5);

        var (attemptId, artifactId) = await app.WithDbAsync(async db =>
        {
            var job = await db.Jobs.Include(j => j.Attempts).SingleAsync(j => j.Id == jobId);
            job.Reason = null;
            job.ClaimedAt = claimedAt;
            job.Status = "running";
            var attempt = new AttemptEntity { JobId = job.Id, Number = 1, Status = "running", StartedAt = claimedAt, LogPath = "logs/x", LeaseExpiresAt = leaseUntil };
            var artifact = new ArtifactEntity { JobId = job.Id, Path = "out", File = "a.tar", Size = 3, Sha256 = "abc" };
            var rows = new[]
            {
                Modified(db.Entry(job), nameof(JobEntity.Reason), nameof(JobEntity.ClaimedAt), nameof(JobEntity.Status)),
                Added(db.Entry(attempt)), Added(db.Entry(artifact)),
            };

            await PlainRowWrites.WriteAsync(db, rows, CancellationToken.None);

            Assert.All(rows, row => Assert.Equal(EntityState.Unchanged, row.Entry.State));
            Assert.True(attempt.Id > 0);
            Assert.Equal(claimedAt, db.Entry(job).Property(j => j.ClaimedAt).OriginalValue);
            Assert.False(db.ChangeTracker.HasChanges());

            // Tracked as saved: a later change writes its own columns, and the values written before stay.
            attempt.Status = "succeeded";
            attempt.LeaseExpiresAt = null;
            await PlainRowWrites.WriteAsync(db, [Modified(db.Entry(attempt), nameof(AttemptEntity.Status), nameof(AttemptEntity.LeaseExpiresAt))], CancellationToken.None);
            return (attempt.Id, artifact.Id);
        });

        var (stored, storedAttempt) = await app.WithDbAsync(async db =>
            (await db.Jobs.AsNoTracking().SingleAsync(j => j.Id == jobId), await db.Attempts.AsNoTracking().SingleAsync(a => a.Id == attemptId)));
        Assert.Equal(("running", null, claimedAt), (stored.Status, stored.Reason, stored.ClaimedAt));
        Assert.Equal(("succeeded", null, claimedAt, "logs/x"), (storedAttempt.Status, storedAttempt.LeaseExpiresAt, storedAttempt.StartedAt, storedAttempt.LogPath));

        await app.WithDbAsync(async db =>
        {
            var artifact = await db.Artifacts.SingleAsync(a => a.Id == artifactId);
            var entry = db.Entry(artifact);
            entry.State = EntityState.Deleted;
            await PlainRowWrites.WriteAsync(db, [new RowChange(entry, EntityState.Deleted, 0)], CancellationToken.None);
            Assert.Equal(EntityState.Detached, entry.State);
        });
        Assert.False(await app.WithDbAsync(db => db.Artifacts.AnyAsync(a => a.Id == artifactId)));
    }

    [Fact]
    public async Task WriteAsync_FailsAndWritesNothing_WhenARowWasRemovedMeanwhile()
    {
        var jobId = await PendingJobAsync();

        await app.WithDbAsync(async db =>
        {
            var job = await db.Jobs.SingleAsync(j => j.Id == jobId);
            var gone = new ArtifactEntity { JobId = jobId, Path = "gone", File = "g.tar", Size = 1, Sha256 = "def" };
            db.Artifacts.Add(gone);
            await db.SaveChangesAsync();
            await db.Artifacts.Where(a => a.Id == gone.Id).ExecuteDeleteAsync();
            gone.Size = 2;
            job.Reason = "changed with the removed row";

            await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => PlainRowWrites.WriteAsync(db,
                [Modified(db.Entry(job), nameof(JobEntity.Reason)), Modified(db.Entry(gone), nameof(ArtifactEntity.Size))], CancellationToken.None));
        });

        Assert.NotEqual("changed with the removed row", await app.WithDbAsync(db => db.Jobs.Where(j => j.Id == jobId).Select(j => j.Reason).SingleAsync()));
    }

    private async Task<long> PendingJobAsync()
    {
        var label = "rows" + Guid.NewGuid().ToString("N")[..8];
        using var client = app.Client();
        var runId = await client.TriggerJobForLabelAsync(app, label);
        await client.WaitForJobAsync(runId, "build", "pending");
        return await app.WithDbAsync(db => db.Jobs.Where(j => j.RunId == runId).Select(j => j.Id).SingleAsync());
    }

    /// <summary>The row as the coordinator's change detection hands it over: the named columns as bits (the context, which detects changes itself here, marks them too).</summary>
    private static RowChange Modified(EntityEntry entry, params string[] names)
    {
        var tableColumns = ModelTable.Of(entry.Context, entry.Metadata).Columns;
        ulong columns = 0;
        for (var i = 0; i < tableColumns.Count; i++)
        {
            if (names.Contains(tableColumns[i].Property.Name)) columns |= 1UL << i;
        }

        return new RowChange(entry, EntityState.Modified, columns);
    }

    private static RowChange Added(EntityEntry entry)
    {
        entry.State = EntityState.Added;
        return new RowChange(entry, EntityState.Added, 0);
    }
}

public sealed class PlainRowWritesTests(AppWithoutAgent app) : PlainRowWritesTests<AppWithoutAgent>(app);

[Trait("Database", "postgres")]
public sealed class PlainRowWritesOnPostgresTests(AppWithoutAgentOnPostgres app) : PlainRowWritesTests<AppWithoutAgentOnPostgres>(app);
