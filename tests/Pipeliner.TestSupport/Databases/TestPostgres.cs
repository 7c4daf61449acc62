using System.Diagnostics;
using Npgsql;

namespace Pipeliner.TestSupport.Databases;

/// <summary>
/// The private PostgreSQL cluster of <c>deploy/dev/postgres.sh</c>: its connection string from
/// <c>PIPELINER_TEST_POSTGRES</c> (which <c>deploy/dev/test.sh</c> sets), or, when that is unset (a test run by hand), from
/// running the script, which installs and starts the cluster if needed. It fails, never skips, when there is none.
/// </summary>
public static class TestPostgres
{
    public const string ConnectionVariable = "PIPELINER_TEST_POSTGRES";

    private static readonly Lazy<Task<string>> Cluster = new(FindClusterAsync);

    /// <summary>A database of its own for one fixture, dropped when disposed.</summary>
    public static async Task<TestPostgresDatabase> CreateDatabaseAsync(string hint)
    {
        var admin = await Cluster.Value;
        // At most 4 + 24 + 1 + 32 = 61 characters (PostgreSQL's limit is 63).
        var name = $"plr_{new string(hint.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(24).ToArray())}_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        return new TestPostgresDatabase(admin, new NpgsqlConnectionStringBuilder(admin) { Database = name, Pooling = true }.ConnectionString, name);
    }

    private static async Task<string> FindClusterAsync()
    {
        var configured = Environment.GetEnvironmentVariable(ConnectionVariable);
        if (!string.IsNullOrWhiteSpace(configured)) return configured.Trim();
        var script = Path.Combine(RepositoryRoot(), "deploy", "dev", "postgres.sh");
        var start = new ProcessStartInfo("bash", [script, "start"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot run bash");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"PostgreSQL is needed for these tests and {script} start failed ({process.ExitCode}): {await errors}");
        }

        return (await output).Trim();
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Pipeliner.sln"))) return directory.FullName;
        }

        throw new InvalidOperationException($"no Pipeliner.sln above {AppContext.BaseDirectory}");
    }
}

/// <summary>One test database on the test cluster.</summary>
public sealed class TestPostgresDatabase(string adminConnectionString, string connectionString, string name) : IAsyncDisposable
{
    public string ConnectionString { get; } = connectionString;

    public string Name { get; } = name;

    public async ValueTask DisposeAsync()
    {
        await using (var pooled = new NpgsqlConnection(ConnectionString)) NpgsqlConnection.ClearPool(pooled);
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync();
        // Connections a stopped server left behind (a killed process, pools) end with it.
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
