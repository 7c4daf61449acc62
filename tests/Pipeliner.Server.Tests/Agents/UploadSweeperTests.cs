using Hangfire;
using Hangfire.Storage;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Server.Agents;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Tests.Support;
using Pipeliner.TestSupport.Seeding;

namespace Pipeliner.Server.Tests.Agents;

/// <summary>
/// Agents' uploads that no report of their attempt's end will take, on the file store and the database store (SQLite and
/// PostgreSQL): the sweep removes those of attempts that ended or whose lease expired (past the grace) and of attempts
/// that are gone, and keeps those of attempts under their lease or that ended just now.
/// </summary>
public abstract class UploadSweeperTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : PipelinerApp
{
    private IAttemptUploads Uploads => app.Services.GetRequiredService<IAttemptUploads>();

    [Fact]
    public async Task SweepAsync_RemovesTheUploads_WhenTheAttemptEndedLostItsLeaseOrIsGone()
    {
        var old = DateTimeOffset.UtcNow - UploadSweeper.Grace - TimeSpan.FromMinutes(5);
        var ended = await AttemptAsync("failed", finishedAt: old, leaseExpiresAt: null);
        var expired = await AttemptAsync("running", finishedAt: null, leaseExpiresAt: old);
        var unleased = await AttemptAsync("running", finishedAt: null, leaseExpiresAt: null);
        var gone = await app.WithDbAsync(db => Task.FromResult(db.Attempts.Max(a => a.Id) + 1000));
        foreach (var attempt in new[] { ended, expired, unleased, gone }) await UploadAsync(attempt);

        await SweepAsync();

        var held = await Uploads.AttemptsAsync(CancellationToken.None);
        Assert.DoesNotContain(ended, held);
        Assert.DoesNotContain(expired, held);
        Assert.DoesNotContain(unleased, held);
        Assert.DoesNotContain(gone, held);
        Assert.Null(await Uploads.SizeOfAsync(ended, "artifacts", 0, CancellationToken.None));
    }

    [Fact]
    public async Task SweepAsync_KeepsTheUploads_WhenTheAttemptRunsUnderItsLeaseOrEndedWithinTheGrace()
    {
        var live = await AttemptAsync("running", finishedAt: null, leaseExpiresAt: DateTimeOffset.UtcNow.AddMinutes(5));
        var lapsedJustNow = await AttemptAsync("running", finishedAt: null, leaseExpiresAt: DateTimeOffset.UtcNow.AddSeconds(-5));
        var endedJustNow = await AttemptAsync("succeeded", finishedAt: DateTimeOffset.UtcNow.AddSeconds(-5), leaseExpiresAt: null);
        foreach (var attempt in new[] { live, lapsedJustNow, endedJustNow }) await UploadAsync(attempt);

        await SweepAsync();

        var held = await Uploads.AttemptsAsync(CancellationToken.None);
        Assert.Contains(live, held);
        Assert.Contains(lapsedJustNow, held);
        Assert.Contains(endedJustNow, held);
        Assert.Equal(2, await Uploads.SizeOfAsync(live, "artifacts", 0, CancellationToken.None));
    }

    [Fact]
    public async Task SweepScheduledAsync_TakesItselfOffTheSchedule_OnlyOnceNoUploadIsLeft()
    {
        var live = await AttemptAsync("running", finishedAt: null, leaseExpiresAt: DateTimeOffset.UtcNow.AddMinutes(5));
        await UploadAsync(live);
        app.Services.GetRequiredService<UploadSweepSchedule>().Arm();

        await SweepScheduledAsync();
        Assert.True(Scheduled());

        foreach (var attempt in await Uploads.AttemptsAsync(CancellationToken.None)) await Uploads.DeleteAsync(attempt, CancellationToken.None);
        await SweepScheduledAsync();
        Assert.False(Scheduled());

        // At start, nothing held: it stays off.
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<UploadSweeper>().ArmIfHeldAsync(CancellationToken.None);
        Assert.False(Scheduled());
    }

    private bool Scheduled()
    {
        using var connection = app.Services.GetRequiredService<JobStorage>().GetConnection();
        return connection.GetRecurringJobs().Any(j => j.Id == UploadSweeper.RecurringJobId);
    }

    private async Task SweepScheduledAsync()
    {
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<UploadSweeper>().SweepScheduledAsync();
    }

    private async Task SweepAsync()
    {
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<UploadSweeper>().SweepAsync(CancellationToken.None);
    }

    private async Task UploadAsync(long attemptId)
    {
        byte[] bytes = [7, 8];
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        Assert.Equal(sha, await Uploads.SaveAsync(attemptId, "artifacts", 0, new MemoryStream(bytes), long.MaxValue, sha, CancellationToken.None));
    }

    /// <summary>An attempt of a job of a run of its own, as the lease sweeper and the done report leave it.</summary>
    private async Task<long> AttemptAsync(string status, DateTimeOffset? finishedAt, DateTimeOffset? leaseExpiresAt)
    {
        var seed = new RunSeed(app);
        var run = await seed.RunAsync(await seed.ProjectAsync("uploads"), "running", jobs: ("build", status));
        return await app.WithDbAsync(async db =>
        {
            var attempt = new AttemptEntity
            {
                JobId = db.Jobs.Single(j => j.RunId == run.Id).Id, Number = 1, Status = status, StartedAt = DateTimeOffset.UtcNow.AddHours(-1),
                FinishedAt = finishedAt, LeaseExpiresAt = leaseExpiresAt, LogPath = $"runs/{run.Id}/logs/build/1.log",
            };
            db.Attempts.Add(attempt);
            await db.SaveChangesAsync();
            return attempt.Id;
        });
    }
}

/// <summary>The tests above on the file store (SQLite).</summary>
public sealed class UploadSweeperTests(AppWithoutAgent app) : UploadSweeperTests<AppWithoutAgent>(app);

/// <summary>The tests above on the database store (SQLite).</summary>
public sealed class UploadSweeperOnDatabaseStoreTests(DatabaseStoreApp app) : UploadSweeperTests<DatabaseStoreApp>(app);

/// <summary>The tests above on the database store on PostgreSQL.</summary>
[Trait("Database", "postgres")]
public sealed class UploadSweeperOnPostgresTests(DatabaseStoreApp.OnPostgres app) : UploadSweeperTests<DatabaseStoreApp.OnPostgres>(app);

/// <summary>No agent; artifacts, caches and uploads in the database (<c>Pipeliner:Storage:Provider=database</c>).</summary>
public class DatabaseStoreApp : PipelinerApp
{
    public DatabaseStoreApp()
        : this(null)
    {
    }

    private DatabaseStoreApp(TestDatabase? database)
        : base(agentCapacity: 0, new Dictionary<string, string> { ["Pipeliner:Storage:Provider"] = "database" }, database)
    {
    }

    public sealed class OnPostgres() : DatabaseStoreApp(TestDatabase.Postgres);
}
