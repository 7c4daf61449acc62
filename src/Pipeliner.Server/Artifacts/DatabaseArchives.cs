using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Engine.Storage;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Artifacts;

/// <summary>A folder of archives in the database: what the file store's directory is (<c>artifacts/{run}/{job}</c>, …).</summary>
public sealed record ArchiveFolderKey(string Kind, string Owner, string Name);

/// <summary>A folder's name and how many bytes its archives hold, and when it was saved.</summary>
public sealed record StoredFolder(string Name, long Bytes, DateTimeOffset SavedAt);

/// <summary>
/// Folders of archives as <see cref="StoredArchiveEntity"/> rows and their bytes as <see cref="ArchiveChunkEntity"/> rows of
/// <see cref="ChunkBytes"/>, provider-neutral EF only, for the database artifact, cache and upload stores. An archive is
/// streamed in and out a chunk at a time, never held whole in memory. A folder is replaced as a whole: the new archives are
/// written as an incomplete generation, then made the folder's content in one transaction that removes the older ones.
/// </summary>
public sealed class DatabaseArchives(IServiceScopeFactory scopes, TimeProvider time)
{
    /// <summary>The size of every chunk but an archive's last.</summary>
    public const int ChunkBytes = 1 << 20;

    /// <summary>Incomplete generations older than this were left by a writer that died: the next write of the folder removes them.</summary>
    private static readonly TimeSpan Abandoned = TimeSpan.FromHours(6);

    /// <summary>
    /// Replaces the folder's archives with <paramref name="sources"/> (one opened at a time; a null stream is left out), as
    /// <see cref="ArchiveFolder.WriteAsync(string, IReadOnlyList{ValueTuple{string, Func{CancellationToken, Task{Stream}}}}, CancellationToken, long?)"/>
    /// does: past <paramref name="maxBytes"/> in all, <see cref="ArchiveTooLargeException"/> and nothing kept.
    /// </summary>
    public async Task<IReadOnlyList<ArchivedPath>> WriteAsync(
        ArchiveFolderKey folder, IReadOnlyList<(string Path, Func<CancellationToken, Task<Stream?>> Open)> sources, long? maxBytes,
        CancellationToken cancellationToken)
    {
        var generation = Guid.NewGuid().ToString("N");
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        var now = time.GetUtcNow();
        var abandoned = now - Abandoned;
        await InFolder(db, folder).Where(a => !a.Complete && a.SavedAt < abandoned).ExecuteDeleteAsync(cancellationToken);

        var entries = new List<ArchivedPath>();
        try
        {
            var buffer = new byte[ChunkBytes];
            long total = 0;
            foreach (var (path, open) in sources)
            {
                await using var tar = await open(cancellationToken);
                if (tar is null) continue;
                var row = new StoredArchiveEntity
                {
                    Kind = folder.Kind, Owner = folder.Owner, Name = folder.Name, Generation = generation, Position = entries.Count,
                    Path = path, File = $"{entries.Count}.tar", Sha256 = "", SavedAt = now,
                };
                db.StoredArchives.Add(row);
                await db.SaveChangesAsync(cancellationToken);
                db.ChangeTracker.Clear();

                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                long size = 0;
                for (var index = 0; ; index++)
                {
                    var filled = await FillAsync(tar, buffer, cancellationToken);
                    if (filled == 0) break;
                    size += filled;
                    total += filled;
                    if (total > maxBytes) throw new ArchiveTooLargeException(maxBytes.Value);
                    hash.AppendData(buffer, 0, filled);
                    db.ArchiveChunks.Add(new ArchiveChunkEntity { ArchiveId = row.Id, Index = index, Data = buffer.AsSpan(0, filled).ToArray() });
                    await db.SaveChangesAsync(cancellationToken);
                    db.ChangeTracker.Clear();
                    if (filled < buffer.Length) break;
                }

                var digest = Convert.ToHexStringLower(hash.GetHashAndReset());
                await db.StoredArchives.Where(a => a.Id == row.Id)
                    .ExecuteUpdateAsync(set => set.SetProperty(a => a.Size, size).SetProperty(a => a.Sha256, digest), cancellationToken);
                entries.Add(new ArchivedPath(path, row.File, size, digest));
            }

            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await InFolder(db, folder).Where(a => a.Complete).ExecuteDeleteAsync(cancellationToken);
            await InFolder(db, folder).Where(a => a.Generation == generation)
                .ExecuteUpdateAsync(set => set.SetProperty(a => a.Complete, true), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch
        {
            // Nothing partial is kept; the folder keeps what it had.
            await db.StoredArchives.Where(a => a.Generation == generation).ExecuteDeleteAsync(CancellationToken.None);
            throw;
        }

        return entries;
    }

    /// <summary>The folder's archives in order; null when nothing was saved there.</summary>
    public async Task<IReadOnlyList<ArchivedPath>?> ReadAsync(ArchiveFolderKey folder, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var rows = await CurrentAsync(scope.ServiceProvider.GetRequiredService<PipelinerDbContext>(), folder, cancellationToken);
        return rows.Count == 0 ? null : rows.Select(r => new ArchivedPath(r.Path, r.File, r.Size, r.Sha256)).ToList();
    }

    /// <summary>One archive of the folder as a read-only, seekable stream that loads a chunk at a time; null when it is not there.</summary>
    public async Task<Stream?> OpenReadAsync(ArchiveFolderKey folder, string file, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var rows = await CurrentAsync(scope.ServiceProvider.GetRequiredService<PipelinerDbContext>(), folder, cancellationToken);
        return rows.FirstOrDefault(r => r.File == file) is { } row ? new DatabaseArchiveStream(scopes, row.Id, row.Size) : null;
    }

    /// <summary>The bytes every archive of the owner's folders holds (those being written too).</summary>
    public async Task<long> SizeOfAsync(string kind, string owner, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        return await db.StoredArchives.Where(a => a.Kind == kind && a.Owner == owner).SumAsync(a => a.Size, cancellationToken);
    }

    /// <summary>
    /// The bytes the saved content of the owner's folders whose name starts with <paramref name="namePrefix"/> holds, the
    /// folder <paramref name="exceptName"/> left out.
    /// </summary>
    public async Task<long> SavedBytesAsync(string kind, string owner, string namePrefix, string exceptName, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        return await db.StoredArchives
            .Where(a => a.Kind == kind && a.Owner == owner && a.Complete && a.Name.StartsWith(namePrefix) && a.Name != exceptName)
            .SumAsync(a => a.Size, cancellationToken);
    }

    /// <summary>The owner's folders with a saved content.</summary>
    public async Task<IReadOnlyList<StoredFolder>> ListAsync(string kind, string owner, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        var rows = await db.StoredArchives.AsNoTracking().Where(a => a.Kind == kind && a.Owner == owner && a.Complete)
            .Select(a => new { a.Name, a.Size, a.SavedAt }).ToListAsync(cancellationToken);
        return rows.GroupBy(r => r.Name, StringComparer.Ordinal)
            .Select(g => new StoredFolder(g.Key, g.Sum(r => r.Size), g.Max(r => r.SavedAt))).OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>The owners with archives of <paramref name="kind"/> (those being written too).</summary>
    public async Task<IReadOnlyList<string>> OwnersAsync(string kind, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        return await db.StoredArchives.Where(a => a.Kind == kind).Select(a => a.Owner).Distinct().ToListAsync(cancellationToken);
    }

    /// <summary>Removes the folder (every generation); returns the bytes freed.</summary>
    public Task<long> DeleteAsync(ArchiveFolderKey folder, CancellationToken cancellationToken) =>
        DeleteWhereAsync(db => InFolder(db, folder), cancellationToken);

    /// <summary>Removes every folder of the owner; returns the bytes freed.</summary>
    public Task<long> DeleteOwnerAsync(string kind, string owner, CancellationToken cancellationToken) =>
        DeleteWhereAsync(db => db.StoredArchives.Where(a => a.Kind == kind && a.Owner == owner), cancellationToken);

    /// <summary>Removes the owner's folders whose name starts with <paramref name="namePrefix"/> (every generation); returns the bytes freed.</summary>
    public Task<long> DeleteFoldersAsync(string kind, string owner, string namePrefix, CancellationToken cancellationToken) =>
        DeleteWhereAsync(db => db.StoredArchives.Where(a => a.Kind == kind && a.Owner == owner && a.Name.StartsWith(namePrefix)), cancellationToken);

    private async Task<long> DeleteWhereAsync(Func<PipelinerDbContext, IQueryable<StoredArchiveEntity>> rows, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        var ids = await rows(db).Select(a => new { a.Id, a.Size }).ToListAsync(cancellationToken);
        if (ids.Count == 0) return 0;
        var list = ids.Select(a => a.Id).ToList();
        // The chunks go with their archive (a cascading foreign key on both databases).
        await db.StoredArchives.Where(a => list.Contains(a.Id)).ExecuteDeleteAsync(cancellationToken);
        return ids.Sum(a => a.Size);
    }

    private static IQueryable<StoredArchiveEntity> InFolder(PipelinerDbContext db, ArchiveFolderKey folder) =>
        db.StoredArchives.Where(a => a.Kind == folder.Kind && a.Owner == folder.Owner && a.Name == folder.Name);

    /// <summary>The folder's complete generation (the newest, should two writers have completed at once), in order.</summary>
    private static async Task<List<StoredArchiveEntity>> CurrentAsync(PipelinerDbContext db, ArchiveFolderKey folder, CancellationToken cancellationToken)
    {
        var rows = await InFolder(db, folder).AsNoTracking().Where(a => a.Complete).ToListAsync(cancellationToken);
        if (rows.Count == 0) return rows;
        var newest = rows.MaxBy(r => r.Id)!.Generation;
        return rows.Where(r => r.Generation == newest).OrderBy(r => r.Position).ToList();
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends: every chunk but the last is whole.</summary>
    private static async Task<int> FillAsync(Stream source, byte[] buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await source.ReadAsync(buffer.AsMemory(filled), cancellationToken);
            if (read == 0) break;
            filled += read;
        }

        return filled;
    }
}
