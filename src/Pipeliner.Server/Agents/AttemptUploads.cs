using System.Globalization;
using System.Security.Cryptography;
using Pipeliner.Engine.Storage;
using Pipeliner.Server.Artifacts;

namespace Pipeliner.Server.Agents;

/// <summary>
/// A remote agent's uploads (<c>artifacts</c>, <c>cache</c>, <c>reports</c>, by index), kept aside until the attempt's end
/// is recorded — possibly by another replica than the one that took the upload, so with the database store they are
/// in the database too.
/// </summary>
public interface IAttemptUploads
{
    /// <summary>
    /// Stores the upload (in place of an earlier one at the same index) when the SHA-256 of the bytes received is
    /// <paramref name="expectedSha256"/>; returns that digest either way. Past <paramref name="maxBytes"/>:
    /// <see cref="ArchiveTooLargeException"/>, nothing kept.
    /// </summary>
    Task<string> SaveAsync(long attemptId, string kind, int index, Stream body, long maxBytes, string expectedSha256, CancellationToken cancellationToken);

    /// <summary>The bytes of a stored upload; null when there is none.</summary>
    Task<long?> SizeOfAsync(long attemptId, string kind, int index, CancellationToken cancellationToken);

    Task<Stream?> OpenReadAsync(long attemptId, string kind, int index, CancellationToken cancellationToken);

    /// <summary>
    /// The bytes of the attempt's stored uploads of <paramref name="kind"/> but the one at <paramref name="index"/> (which
    /// an upload at that index replaces): what counts against the job's ceiling for the kind beside a new upload.
    /// </summary>
    Task<long> HeldBesidesAsync(long attemptId, string kind, int index, CancellationToken cancellationToken);

    /// <summary>Removes the attempt's uploads of <paramref name="kind"/> (over the job's ceiling none of them may be stored).</summary>
    Task DeleteKindAsync(long attemptId, string kind, CancellationToken cancellationToken);

    /// <summary>Removes every upload of the attempt (its end is recorded, or it will never report them).</summary>
    Task DeleteAsync(long attemptId, CancellationToken cancellationToken);

    /// <summary>The attempts that hold uploads, stored or arriving (for <see cref="UploadSweeper"/>).</summary>
    Task<IReadOnlyList<long>> AttemptsAsync(CancellationToken cancellationToken);
}

/// <summary>Uploads in the data directory: <c>uploads/{attempt}/{kind}/{index}.tar</c>.</summary>
public sealed class FileAttemptUploads(DataLayout layout) : IAttemptUploads
{
    public async Task<string> SaveAsync(
        long attemptId, string kind, int index, Stream body, long maxBytes, string expectedSha256, CancellationToken cancellationToken)
    {
        var target = PathOf(attemptId, kind, index);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var partial = target + "." + Guid.NewGuid().ToString("N")[..8] + ".partial";
        try
        {
            string digest;
            await using (var file = File.Create(partial))
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var buffer = new byte[81920];
                long total = 0;
                int read;
                while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    total += read;
                    if (total > maxBytes) throw new ArchiveTooLargeException(maxBytes);
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }

                digest = Convert.ToHexStringLower(hash.GetHashAndReset());
            }

            if (digest == expectedSha256) File.Move(partial, target, overwrite: true);
            return digest;
        }
        finally
        {
            if (File.Exists(partial)) File.Delete(partial);
        }
    }

    public Task<long?> SizeOfAsync(long attemptId, string kind, int index, CancellationToken cancellationToken)
    {
        var file = new FileInfo(PathOf(attemptId, kind, index));
        return Task.FromResult(file.Exists ? file.Length : (long?)null);
    }

    public Task<Stream?> OpenReadAsync(long attemptId, string kind, int index, CancellationToken cancellationToken)
    {
        var path = PathOf(attemptId, kind, index);
        return Task.FromResult<Stream?>(File.Exists(path) ? File.OpenRead(path) : null);
    }

    public Task<long> HeldBesidesAsync(long attemptId, string kind, int index, CancellationToken cancellationToken)
    {
        var directory = new DirectoryInfo(KindDirectory(attemptId, kind));
        if (!directory.Exists) return Task.FromResult(0L);
        // Partial files (an upload still arriving) end in .partial, so only stored uploads count.
        var own = FileName(index);
        return Task.FromResult(directory.EnumerateFiles("*.tar").Where(f => f.Name != own).Sum(f => f.Length));
    }

    public Task DeleteKindAsync(long attemptId, string kind, CancellationToken cancellationToken)
    {
        var directory = KindDirectory(attemptId, kind);
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        return Task.CompletedTask;
    }

    public Task DeleteAsync(long attemptId, CancellationToken cancellationToken)
    {
        var uploads = Path.Combine(layout.Root, "uploads", Id(attemptId));
        if (Directory.Exists(uploads)) Directory.Delete(uploads, recursive: true);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<long>> AttemptsAsync(CancellationToken cancellationToken)
    {
        var root = new DirectoryInfo(Path.Combine(layout.Root, "uploads"));
        IReadOnlyList<long> attempts = !root.Exists ? []
            : [.. root.EnumerateDirectories().Select(d => long.TryParse(d.Name, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : -1).Where(id => id >= 0)];
        return Task.FromResult(attempts);
    }

    private string KindDirectory(long attemptId, string kind) => Path.Combine(layout.Root, "uploads", Id(attemptId), kind);

    private string PathOf(long attemptId, string kind, int index) => Path.Combine(KindDirectory(attemptId, kind), FileName(index));

    private static string FileName(int index) => index.ToString(CultureInfo.InvariantCulture) + ".tar";

    private static string Id(long attemptId) => attemptId.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Uploads in the database (<c>Pipeliner:Storage:Provider=database</c>): a folder per attempt, kind and index.</summary>
public sealed class DatabaseAttemptUploads(DatabaseArchives archives) : IAttemptUploads
{
    private const string Kind = "uploads";

    public async Task<string> SaveAsync(
        long attemptId, string kind, int index, Stream body, long maxBytes, string expectedSha256, CancellationToken cancellationToken)
    {
        var folder = Folder(attemptId, kind, index);
        var saved = await archives.WriteAsync(folder, [(kind, _ => Task.FromResult<Stream?>(body))], maxBytes, cancellationToken);
        var digest = saved[0].Sha256;
        if (digest != expectedSha256) await archives.DeleteAsync(folder, CancellationToken.None);
        return digest;
    }

    public async Task<long?> SizeOfAsync(long attemptId, string kind, int index, CancellationToken cancellationToken) =>
        await archives.ReadAsync(Folder(attemptId, kind, index), cancellationToken) is [var archive] ? archive.Size : null;

    public Task<Stream?> OpenReadAsync(long attemptId, string kind, int index, CancellationToken cancellationToken) =>
        archives.OpenReadAsync(Folder(attemptId, kind, index), "0.tar", cancellationToken);

    public Task<long> HeldBesidesAsync(long attemptId, string kind, int index, CancellationToken cancellationToken) =>
        archives.SavedBytesAsync(Kind, Owner(attemptId), KindPrefix(kind), Folder(attemptId, kind, index).Name, cancellationToken);

    public Task DeleteKindAsync(long attemptId, string kind, CancellationToken cancellationToken) =>
        archives.DeleteFoldersAsync(Kind, Owner(attemptId), KindPrefix(kind), cancellationToken);

    public Task DeleteAsync(long attemptId, CancellationToken cancellationToken) =>
        archives.DeleteOwnerAsync(Kind, Owner(attemptId), cancellationToken);

    public async Task<IReadOnlyList<long>> AttemptsAsync(CancellationToken cancellationToken) =>
        [.. (await archives.OwnersAsync(Kind, cancellationToken)).Select(o => long.Parse(o, CultureInfo.InvariantCulture))];

    private static ArchiveFolderKey Folder(long attemptId, string kind, int index) =>
        new(Kind, Owner(attemptId), KindPrefix(kind) + index.ToString(CultureInfo.InvariantCulture));

    private static string Owner(long attemptId) => attemptId.ToString(CultureInfo.InvariantCulture);

    /// <summary>The start of the folder names of one kind of upload (<c>{kind}/</c>).</summary>
    private static string KindPrefix(string kind) => kind + "/";
}
