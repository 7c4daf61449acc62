using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Server.Data;
using Pipeliner.Server.Hosting;
using Pipeliner.Server.Tests.Support;
using Pipeliner.TestSupport.Databases;

namespace Pipeliner.Server.Tests.Data;

/// <summary>
/// On PostgreSQL the Data Protection keys live in the database: an installation's key files (what its secrets were
/// encrypted with) are imported at start, once, and every replica decrypts what any of them encrypted.
/// </summary>
[Trait("Database", "postgres")]
public sealed class DataProtectionKeyImportTests : IDisposable
{
    private const string Purpose = "Pipeliner.Tests.KeyImport";
    private readonly TempDirectory _directory = new("pipeliner-key-import-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task PrepareAsync_KeepsAnInstallationsFileKeysWorkingOnEveryReplica_WhenItMovesToPostgres()
    {
        var dataDir = _directory.Combine("installation");
        string encrypted;
        var files = new ServiceCollection();
        files.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDir, DataProtectionKeyImport.KeysFolder))).SetApplicationName("Pipeliner");
        await using (var single = files.BuildServiceProvider())
            encrypted = single.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose).Protect("kept secret");

        await using var database = await TestPostgres.CreateDatabaseAsync("keyimport");
        var settings = new Dictionary<string, string>
        {
            ["Pipeliner:Database:Provider"] = "postgres",
            ["ConnectionStrings:Pipeliner"] = database.ConnectionString,
        };
        await using var first = new ReplicaApp(dataDir, settings);
        _ = first.Server;
        await using var second = new ReplicaApp(_directory.Combine("other"), settings);
        _ = second.Server;
        // The first replica starts again: the key is imported once.
        await using var again = new ReplicaApp(dataDir, settings);
        _ = again.Server;

        var onFirst = first.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose);
        var onSecond = second.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose);
        Assert.Equal("kept secret", onFirst.Unprotect(encrypted));
        Assert.Equal("kept secret", onSecond.Unprotect(encrypted));
        Assert.Equal("new secret", onFirst.Unprotect(onSecond.Protect("new secret")));
        await using var scope = second.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        var key = Assert.Single(await db.DataProtectionKeys.ToListAsync());
        Assert.Equal(Path.GetFileNameWithoutExtension(Directory.GetFiles(Path.Combine(dataDir, DataProtectionKeyImport.KeysFolder)).Single()), key.FriendlyName);
    }

    [Fact]
    public async Task StartAsync_PreparesTheKeyRingBeforeDataProtectionReadsIt_WhenTheServerStarts()
    {
        // Data Protection's own hosted service reads the key ring at start and makes a key when there is none: started
        // before the preparation, each replica on a new database made one outside the lock (a CI failure: two keys).
        await using var app = new ReplicaApp(_directory.Combine("order"));
        _ = app.Server;

        var hosted = app.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().Select(s => s.GetType().Name).ToList();

        // Only the memory trim, which touches no database, starts before it (it gives back what the start reads).
        Assert.Equal([nameof(IdleMemoryTrim), nameof(DatabasePreparation)], hosted.Take(2));
        Assert.True(hosted.IndexOf("DataProtectionHostedService") > 1, string.Join(", ", hosted));
    }

    [Fact]
    public async Task PrepareAsync_MakesOneKeyForAllReplicas_WhenTheyStartTogetherOnANewDatabase()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync("keyrace");
        var settings = new Dictionary<string, string>
        {
            ["Pipeliner:Database:Provider"] = "postgres",
            ["ConnectionStrings:Pipeliner"] = database.ConnectionString,
        };
        var replicas = Enumerable.Range(0, 3).Select(i => new ReplicaApp(_directory.Combine($"replica-{i}"), settings)).ToList();
        try
        {
            await Task.WhenAll(replicas.Select(r => Task.Run(() => r.Server)));
            var protectors = replicas.Select(r => r.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose)).ToList();
            foreach (var from in protectors)
            foreach (var to in protectors)
                Assert.Equal("shared", to.Unprotect(from.Protect("shared")));
            await using var scope = replicas[0].Services.CreateAsyncScope();
            Assert.Single(await scope.ServiceProvider.GetRequiredService<PipelinerDbContext>().DataProtectionKeys.ToListAsync());
        }
        finally
        {
            foreach (var replica in replicas) await replica.DisposeAsync();
        }
    }
}
