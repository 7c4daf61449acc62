namespace Pipeliner.Server.Tests.Support;

/// <summary>
/// The database a test server runs on. The suite runs on SQLite; the database-heavy tests run on PostgreSQL as well
/// (their classes' <c>…OnPostgres</c> twins, trait <c>Database=postgres</c>), and <c>PIPELINER_TEST_PROVIDER=postgres</c> runs
/// every server of the suite on PostgreSQL.
/// </summary>
public enum TestDatabase
{
    Sqlite,
    Postgres,
}

public static class TestDatabases
{
    public const string ProviderVariable = "PIPELINER_TEST_PROVIDER";

    /// <summary>The database of test servers that do not ask for one.</summary>
    public static TestDatabase Default =>
        string.Equals(Environment.GetEnvironmentVariable(ProviderVariable), "postgres", StringComparison.OrdinalIgnoreCase)
            ? TestDatabase.Postgres
            : TestDatabase.Sqlite;
}
