using Pipeliner.TestSupport.Databases;

namespace Pipeliner.Server.Tests.Support;

/// <summary>A test class whose tests each make a <see cref="ScratchDatabase"/> of their own, removed after the test.</summary>
public abstract class ScratchDatabaseTests : IAsyncDisposable
{
    private ScratchDatabase? _database;

    /// <summary>The test's database, once <see cref="CreateDatabaseAsync"/> made it.</summary>
    protected ScratchDatabase Database => _database ?? throw new InvalidOperationException("the test has not created its database yet");

    protected async Task<ScratchDatabase> CreateDatabaseAsync(TestDatabase kind, string hint) =>
        _database = await ScratchDatabase.CreateAsync(kind, hint);

    public async ValueTask DisposeAsync()
    {
        if (_database is not null) await _database.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
