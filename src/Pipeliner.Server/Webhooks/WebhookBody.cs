using System.Buffers;
using Pipeliner.Forges;

namespace Pipeliner.Server.Webhooks;

/// <summary>How reading a webhook body ended.</summary>
public enum BodyReadResult
{
    /// <summary>Read to its end, within the size limit.</summary>
    Complete,

    /// <summary>Larger than <see cref="WebhookBody.MaxBytes"/>.</summary>
    TooLarge,

    /// <summary>The spool budget for unauthenticated bodies is used up by other requests.</summary>
    Busy,
}

/// <summary>
/// A webhook body as it is read: every chunk goes through the signature check and is kept, the first bytes in memory
/// (within <see cref="UnverifiedBodies.Memory"/>), the rest in a temporary file (within <see cref="UnverifiedBodies.Spool"/>).
/// Disposing it gives both back and deletes the file.
/// </summary>
public sealed class WebhookBody : IAsyncDisposable
{
    public const long MaxBytes = 25L * 1024 * 1024;
    private const int ChunkBytes = 16 * 1024;

    private readonly UnverifiedBodies _budgets;
    private byte[]? _head;
    private int _headLength;
    private long _memoryTaken;
    private long _spoolTaken;
    private FileStream? _spool;

    private WebhookBody(UnverifiedBodies budgets) => _budgets = budgets;

    public long Length { get; private set; }

    /// <summary>
    /// Reads <paramref name="request"/>'s body to its end through <paramref name="check"/>. With <paramref name="keep"/>
    /// false (no project to deliver to) the bytes are only hashed, never kept, and the answer is null.
    /// </summary>
    public static async Task<(BodyReadResult Result, WebhookBody? Body)> ReadAsync(
        HttpRequest request, SignatureCheck check, UnverifiedBodies budgets, bool keep, CancellationToken cancellationToken)
    {
        var body = keep ? new WebhookBody(budgets) : null;
        var chunk = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            long total = 0;
            int read;
            while ((read = await request.Body.ReadAsync(chunk.AsMemory(0, ChunkBytes), cancellationToken)) > 0)
            {
                total += read;
                if (total > MaxBytes) return await FailAsync(BodyReadResult.TooLarge, body);
                check.Append(chunk.AsSpan(0, read));
                if (body is not null && !await body.AppendAsync(chunk.AsMemory(0, read), request.ContentLength, cancellationToken))
                    return await FailAsync(BodyReadResult.Busy, body);
            }

            return (BodyReadResult.Complete, body);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return await FailAsync(BodyReadResult.TooLarge, body);
        }
        catch
        {
            if (body is not null) await body.DisposeAsync();
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    /// <summary>
    /// The whole body, once its signature is verified: from here on it is trusted data. Valid until the body is disposed
    /// (a body read into memory alone is that memory, a pooled buffer given back then).
    /// </summary>
    public async Task<ReadOnlyMemory<byte>> ReadAllAsync(CancellationToken cancellationToken)
    {
        // A body that fitted in the memory taken for it is handed over as it is: no second copy of every accepted webhook
        // (the burst's garbage makes the collections that pause the answers).
        if (_spool is null && _head is not null && _headLength == Length) return _head.AsMemory(0, _headLength);
        var all = new byte[Length];
        _head.AsSpan(0, _headLength).CopyTo(all);
        if (_spool is null) return all;
        _spool.Position = 0;
        await _spool.ReadExactlyAsync(all.AsMemory(_headLength), cancellationToken);
        return all;
    }

    public async ValueTask DisposeAsync()
    {
        if (_spool is not null) await _spool.DisposeAsync();
        _spool = null;
        // Cleared: the next renter of the buffer is not to find a webhook's payload in it.
        if (_head is not null) ArrayPool<byte>.Shared.Return(_head, clearArray: true);
        _head = null;
        _budgets.Memory.Return(_memoryTaken);
        _budgets.Spool.Return(_spoolTaken);
        _memoryTaken = _spoolTaken = 0;
    }

    private async Task<bool> AppendAsync(ReadOnlyMemory<byte> chunk, long? announcedLength, CancellationToken cancellationToken)
    {
        if (Length == 0) TakeHead(announcedLength);
        Length += chunk.Length;
        var intoHead = Math.Min(chunk.Length, (int)_memoryTaken - _headLength);
        if (intoHead > 0)
        {
            chunk.Span[..intoHead].CopyTo(_head.AsSpan(_headLength));
            _headLength += intoHead;
            chunk = chunk[intoHead..];
        }

        if (chunk.Length == 0) return true;
        if (!_budgets.Spool.TryTake(chunk.Length)) return false;
        _spoolTaken += chunk.Length;
        _spool ??= OpenSpool();
        await _spool.WriteAsync(chunk, cancellationToken);
        return true;
    }

    /// <summary>
    /// Memory for the first bytes, as much as the body announced (at most <see cref="UnverifiedBodies.InMemoryPerBody"/>) and
    /// the budget allows; a pooled buffer, which may be longer: only what was taken from the budget is filled.
    /// </summary>
    private void TakeHead(long? announcedLength)
    {
        var wanted = (int)Math.Min(UnverifiedBodies.InMemoryPerBody, announcedLength is > 0 ? announcedLength.Value : UnverifiedBodies.InMemoryPerBody);
        if (!_budgets.Memory.TryTake(wanted)) return;
        _memoryTaken = wanted;
        _head = ArrayPool<byte>.Shared.Rent(wanted);
    }

    private FileStream OpenSpool()
    {
        Directory.CreateDirectory(_budgets.SpoolDirectory);
        // Deleted when disposed; a killed process's files are removed at the next start.
        return new FileStream(Path.Combine(_budgets.SpoolDirectory, $"{Guid.NewGuid():N}.body"), FileMode.CreateNew, FileAccess.ReadWrite,
            FileShare.None, bufferSize: 0, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
    }

    private static async Task<(BodyReadResult, WebhookBody?)> FailAsync(BodyReadResult result, WebhookBody? body)
    {
        if (body is not null) await body.DisposeAsync();
        return (result, null);
    }
}
