using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data.Providers;

namespace Pipeliner.Server.Data;

/// <summary>
/// With replicas the Data Protection key ring lives in the database (<c>DataProtectionKeys</c>), so that a secret stored
/// through one replica is decrypted by any other. An installation that kept its keys in the data directory's
/// <c>keys/</c> folder (the single-server default) keeps decrypting what they protected: at each start, every key file
/// the database does not hold yet is copied into it (by the key's name, so it happens once however many replicas start).
/// </summary>
public static class DataProtectionKeyImport
{
    public const string KeysFolder = "keys";

    /// <summary>
    /// Under a cluster-wide lock: imports the key files, then makes the first key when there is none. Replicas that start
    /// together on a new database would otherwise each make a key of their own and, until their key rings refresh, fail to
    /// decrypt what the others encrypted.
    /// </summary>
    public static async Task PrepareAsync(
        PipelinerDbContext db, IDatabaseProvider database, IKeyManager keys, TimeProvider time, string dataDir, ILogger logger, CancellationToken cancellationToken)
    {
        await using (await database.LockAsync(db, ClusterLock.DataProtectionKeys, 0, cancellationToken))
        {
            await ImportAsync(db, dataDir, logger, cancellationToken);
            if (!await db.DataProtectionKeys.AnyAsync(cancellationToken))
            {
                var now = time.GetUtcNow();
                keys.CreateNewKey(now, now.AddDays(90));
            }
        }
    }

    /// <summary>Copies the key files of <paramref name="dataDir"/> missing from the database; returns how many.</summary>
    public static async Task<int> ImportAsync(PipelinerDbContext db, string dataDir, ILogger logger, CancellationToken cancellationToken)
    {
        var folder = new DirectoryInfo(Path.Combine(dataDir, KeysFolder));
        if (!folder.Exists) return 0;
        var files = folder.GetFiles("*.xml");
        if (files.Length == 0) return 0;

        // The names the file repository and the EF Core repository give a key are the same: "key-{id}".
        var known = (await db.DataProtectionKeys.Select(k => k.FriendlyName).ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
        var imported = 0;
        foreach (var file in files)
        {
            var name = Path.GetFileNameWithoutExtension(file.Name);
            if (known.Contains(name)) continue;
            db.DataProtectionKeys.Add(new DataProtectionKey { FriendlyName = name, Xml = await File.ReadAllTextAsync(file.FullName, cancellationToken) });
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                imported++;
            }
            catch (DbUpdateException e) when (DatabaseErrors.IsUniqueViolation(e))
            {
                // Another replica imported it meanwhile.
            }

            db.ChangeTracker.Clear();
        }

        if (imported > 0)
            logger.LogInformation("Imported {Count} Data Protection key(s) from {Folder} into the database, which every replica now shares", imported, folder.FullName);
        return imported;
    }
}
