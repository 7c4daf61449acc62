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

    /// <summary>Removes every upload of the attempt (its end is recorded).</summary>
    Task DeleteAsync(long attemptId, CancellationToken cancellationToken);
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

    public Task DeleteAsync(long attemptId, CancellationToken cancellationToken)
    {
        var uploads = Path.Combine(layout.Root, "uploads", Id(attemptId));
        if (Directory.Exists(uploads)) Directory.Delete(uploads, recursive: true);
        return Task.CompletedTask;
    }

    private string PathOf(long attemptId, string kind, int index) =>
        Path.Combine(layout.Root, "uploads", Id(attemptId), kind, index.ToString(CultureInfo.InvariantCulture) + ".tar");

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

    public Task DeleteAsync(long attemptId, CancellationToken cancellationToken) =>
        archives.DeleteOwnerAsync(Kind, attemptId.ToString(CultureInfo.InvariantCulture), cancellationToken);

    private static ArchiveFolderKey Folder(long attemptId, string kind, int index) =>
        new(Kind, attemptId.ToString(CultureInfo.InvariantCulture), $"{kind}/{index.ToString(CultureInfo.InvariantCulture)}");
}
