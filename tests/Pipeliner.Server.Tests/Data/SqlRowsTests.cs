using Pipeliner.Server.Data;
using Pipeliner.Server.Runs;
using Pipeliner.Server.Tests.Support;
using Pipeliner.TestSupport.Databases;

namespace Pipeliner.Server.Tests.Data;

/// <summary>
/// A <see cref="SqlRows"/> statement is written once per model and run by many contexts at once (the delivery workers, the
/// coordinator's changes): each must read its own rows. Run here through <see cref="RunNumbers.TakeNextAsync"/>, which
/// reads its project's row back, on SQLite and PostgreSQL.
/// </summary>
public sealed class SqlRowsTests : ScratchDatabaseTests
{
    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task ExecuteReaderAsync_ReadsEachContextsOwnRows_WhenContextsRunTheStatementAtOnce(TestDatabase database)
    {
        await CreateDatabaseAsync(database, "sqlrows");
        var projects = new List<int>();
        for (var i = 0; i < 8; i++) projects.Add((await Database.AddProjectAsync(p => p.Name = $"shop{i}")).Id);

        var taken = await Task.WhenAll(projects.Select(projectId => Task.Run(async () =>
        {
            await using var db = Database.Context();
            var rows = new List<(int Id, int Number)>();
            for (var n = 0; n < 60; n++)
            {
                var row = await RunNumbers.TakeNextAsync(db, projectId, CancellationToken.None);
                rows.Add((row.Id, row.LastRunNumber));
            }

            return (projectId, rows);
        })));

        foreach (var (projectId, rows) in taken)
            Assert.Equal(Enumerable.Range(1, 60).Select(n => (projectId, n)), rows);
    }
}
