using System.Buffers;
using System.Buffers.Binary;
using Pipeliner.Server.Data;
using ZstdSharp;

namespace Pipeliner.Server.Logs.Store;

/// <summary>
/// A final log stored compressed so that any byte range is still cheap to read: the log cut into blocks of
/// <see cref="BlockBytes"/>, each an independent zstd frame, then a table of the blocks' sizes and a trailer.
/// <code>
/// "PLZ1"  frame 1 … frame n  [n × (uncompressed int32, compressed int32)]  n int32  total int64  "PLZE"
/// </code>
/// Reading from any offset decompresses only the block holding it (<see cref="OpenRead"/>).
/// </summary>
public static class CompressedLog
{
    public const int BlockBytes = 1024 * 1024;
    public const int Level = 3;
    private const int TrailerBytes = 4 + 8 + 4;
    private const int WriteBufferBytes = 4096;
    private static readonly byte[] Magic = "PLZ1"u8.ToArray();
    private static readonly byte[] EndMagic = "PLZE"u8.ToArray();

    /// <summary>Compresses <paramref name="source"/> from its start to its current end into a new file at <paramref name="path"/>.</summary>
    public static async Task WriteAsync(Stream source, string path, CancellationToken cancellationToken)
    {
        using var compressor = new Compressor(Level);
        await WriteAsync(source, path, compressor, cancellationToken);
    }

    /// <summary>The same with a compressor of <see cref="Level"/> to use (<see cref="ZstdCompressors"/>), not one of its own.</summary>
    public static async Task WriteAsync(Stream source, string path, Compressor compressor, CancellationToken cancellationToken)
    {
        // Blocks are at most the log's size: a 200-byte log needs no 1 MiB buffers (large objects, kept by the shared pool).
        var blockBytes = (int)Math.Clamp(source.Length, 1, BlockBytes);
        var input = ArrayPool<byte>.Shared.Rent(blockBytes);
        var output = ArrayPool<byte>.Shared.Rent(Compressor.GetCompressBound(blockBytes));
        var blocks = new List<(int Plain, int Packed)>();
        long total = 0;
        try
        {
            // A new file rather than FileMode.Create: that truncates the file it opens (even a new one), and on ext4 a file
            // truncated to nothing has its blocks allocated and written out when it is closed (auto_da_alloc), on the
            // sealer's thread. A file left by a crash is removed first.
            File.Delete(path);
            // A small buffer gathers the magic, a short log's one frame and the table into one write; a larger frame is written
            // straight through. A 64 KiB buffer was a new array for every log sealed.
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, WriteBufferBytes);
            await file.WriteAsync(Magic, cancellationToken);
            source.Seek(0, SeekOrigin.Begin);
            int filled;
            while ((filled = await source.ReadAtLeastAsync(input.AsMemory(0, blockBytes), blockBytes, throwOnEndOfStream: false, cancellationToken)) > 0)
            {
                var packed = compressor.Wrap(input.AsSpan(0, filled), output);
                await file.WriteAsync(output.AsMemory(0, packed), cancellationToken);
                blocks.Add((filled, packed));
                total += filled;
            }

            var table = new byte[blocks.Count * 8 + TrailerBytes];
            for (var i = 0; i < blocks.Count; i++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(table.AsSpan(i * 8), blocks[i].Plain);
                BinaryPrimitives.WriteInt32LittleEndian(table.AsSpan(i * 8 + 4), blocks[i].Packed);
            }

            var trailer = table.AsSpan(blocks.Count * 8);
            BinaryPrimitives.WriteInt32LittleEndian(trailer, blocks.Count);
            BinaryPrimitives.WriteInt64LittleEndian(trailer[4..], total);
            EndMagic.CopyTo(trailer[12..]);
            await file.WriteAsync(table, cancellationToken);
            await file.FlushAsync(cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
            ArrayPool<byte>.Shared.Return(output);
        }
    }

    /// <summary>A seekable stream of the log's bytes; owns <paramref name="file"/>. Throws <see cref="InvalidDataException"/> for a damaged file.</summary>
    public static Stream OpenRead(FileStream file)
    {
        try
        {
            return new Reader(file, ReadTable(file));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static Block[] ReadTable(FileStream file)
    {
        var length = file.Length;
        if (length < Magic.Length + TrailerBytes) throw new InvalidDataException($"{file.Name} is not a compressed log (too short)");
        Span<byte> trailer = stackalloc byte[TrailerBytes];
        file.Seek(length - TrailerBytes, SeekOrigin.Begin);
        file.ReadExactly(trailer);
        if (!trailer[12..].SequenceEqual(EndMagic)) throw new InvalidDataException($"{file.Name} is not a compressed log (no trailer)");
        var count = BinaryPrimitives.ReadInt32LittleEndian(trailer);
        var total = BinaryPrimitives.ReadInt64LittleEndian(trailer[4..]);
        if (count < 0 || (long)count * 8 > length - TrailerBytes - Magic.Length) throw new InvalidDataException($"{file.Name}: a damaged block table");
        var table = new byte[count * 8];
        file.Seek(length - TrailerBytes - table.Length, SeekOrigin.Begin);
        file.ReadExactly(table);
        var blocks = new Block[count];
        long plain = 0, packed = Magic.Length;
        for (var i = 0; i < count; i++)
        {
            var plainLength = BinaryPrimitives.ReadInt32LittleEndian(table.AsSpan(i * 8));
            var packedLength = BinaryPrimitives.ReadInt32LittleEndian(table.AsSpan(i * 8 + 4));
            if (plainLength is <= 0 or > BlockBytes || packedLength <= 0) throw new InvalidDataException($"{file.Name}: a damaged block table");
            blocks[i] = new Block(plain, plainLength, packed, packedLength);
            plain += plainLength;
            packed += packedLength;
        }

        if (plain != total || packed != length - TrailerBytes - table.Length) throw new InvalidDataException($"{file.Name}: the block table does not add up");
        return blocks;
    }

    private readonly record struct Block(long Offset, int Length, long PackedOffset, int PackedLength);

    /// <summary>Reads any range of the log; the last decompressed block is kept for the next read.</summary>
    private sealed class Reader(FileStream file, Block[] blocks) : ChunkedReadStream(blocks.Length == 0 ? 0 : blocks[^1].Offset + blocks[^1].Length)
    {
        private readonly Decompressor _decompressor = new();
        private readonly int _largestBlock = blocks.Length == 0 ? 0 : blocks.Max(b => b.Length);
        private byte[]? _plain;
        private byte[]? _packed;

        protected override (int Index, long Offset) ChunkAt(long position)
        {
            int low = 0, high = blocks.Length - 1;
            while (low < high)
            {
                var middle = (low + high + 1) / 2;
                if (blocks[middle].Offset <= position) low = middle;
                else high = middle - 1;
            }

            return (low, blocks[low].Offset);
        }

        protected override ValueTask<ReadOnlyMemory<byte>> LoadChunkAsync(int index, CancellationToken cancellationToken)
        {
            var block = blocks[index];
            _plain ??= new byte[_largestBlock]; // the log's largest block, not always BlockBytes
            if (_packed is null || _packed.Length < block.PackedLength) _packed = new byte[Math.Max(block.PackedLength, Math.Min(64 * 1024, _largestBlock))];
            file.Seek(block.PackedOffset, SeekOrigin.Begin);
            file.ReadExactly(_packed, 0, block.PackedLength);
            try
            {
                var written = _decompressor.Unwrap(_packed.AsSpan(0, block.PackedLength), _plain);
                if (written != block.Length) throw new InvalidDataException($"{file.Name}: block {index} holds {written} bytes, not {block.Length}");
            }
            catch (ZstdException e)
            {
                throw new InvalidDataException($"{file.Name}: block {index} is damaged: {e.Message}", e);
            }

            return ValueTask.FromResult<ReadOnlyMemory<byte>>(_plain.AsMemory(0, block.Length));
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                file.Dispose();
                _decompressor.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
