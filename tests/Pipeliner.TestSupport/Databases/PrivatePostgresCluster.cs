using System.Diagnostics;
using Npgsql;

namespace Pipeliner.TestSupport.Databases;

/// <summary>
/// A PostgreSQL cluster of one test's own (<c>deploy/dev/postgres.sh</c> with <c>PIPELINER_POSTGRES_DIR</c> in a
/// directory of its own), for tests that stop or restart the database: never the shared cluster other tests use.
/// A restart keeps its port, so clients reconnect to the same address. Stopped (and its files left to the caller's
/// temporary directory) when disposed.
/// </summary>
public sealed class PrivatePostgresCluster : IAsyncDisposable
{
    private readonly string _directory;

    private PrivatePostgresCluster(string directory, string adminConnectionString)
    {
        _directory = directory;
        AdminConnectionString = adminConnectionString;
    }

    /// <summary>The maintenance database <c>postgres</c> of the trust-authenticated superuser.</summary>
    public string AdminConnectionString { get; }

    /// <param name="directory">Where the cluster lives; its parents must be traversable by the <c>postgres</c> user when run as root.</param>
    public static async Task<PrivatePostgresCluster> StartAsync(string directory)
    {
        Directory.CreateDirectory(directory);
        // Temporary directories are often private to their owner: the cluster's owner (postgres, under root) must reach in.
        if (!OperatingSystem.IsWindows())
        {
            var temp = Path.GetFullPath(Path.GetTempPath()).TrimEnd('/');
            for (var parent = Directory.GetParent(directory); parent is not null && parent.FullName.StartsWith(temp + "/", StringComparison.Ordinal); parent = parent.Parent)
                File.SetUnixFileMode(parent.FullName, File.GetUnixFileMode(parent.FullName) | UnixFileMode.OtherExecute | UnixFileMode.GroupExecute);
        }

        var cluster = new PrivatePostgresCluster(directory, await RunScriptAsync(directory, "start"));
        return cluster;
    }

    /// <summary>A new database on this cluster; its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await create.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>A fast shutdown: sessions are ended, as an operator's restart does.</summary>
    public Task StopAsync() => RunScriptAsync(_directory, "stop");

    /// <summary>Starts it again on the same port.</summary>
    public async Task StartAgainAsync()
    {
        var again = await RunScriptAsync(_directory, "start");
        if (again != AdminConnectionString) throw new InvalidOperationException($"the cluster came back elsewhere: {again} (was {AdminConnectionString})");
    }

    public async ValueTask DisposeAsync() => await RunScriptAsync(_directory, "stop");

    private static async Task<string> RunScriptAsync(string directory, string verb)
    {
        var script = Path.Combine(RepositoryRoot(), "deploy", "dev", "postgres.sh");
        var start = new ProcessStartInfo("bash", [script, verb]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["PIPELINER_POSTGRES_DIR"] = directory;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot run bash");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{script} {verb} failed ({process.ExitCode}): {await errors}");
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
