using System.Buffers;
using Pipeliner.Engine.Logging;

namespace Pipeliner.Engine.Secrets;

/// <summary>
/// A range of a stored log (<c>timestamp text</c> lines), read with every secret form the masker knows overwritten
/// by <c>*</c>, byte for byte: the answer has the length of the stored bytes, so offsets, pages and line numbers
/// stay true. Lines are masked whole and in context (<see cref="MaskingWindow"/>), with the lines before the range
/// read again and the lines after it read as far as needed, so a value cut by the range's edges is masked too.
/// This is what every read path of stored logs goes through: the write path masks the values a job's agent was
/// given, this masks the values the project holds when the log is read (set later, or never given to the agent).
/// </summary>
public sealed class MaskedLogStream : Stream
{
    /// <summary>How far before the range its lines are read again for context.</summary>
    public const int ContextBytes = 128 * 1024;

    /// <summary>A longer stretch without a line break is masked as a line of its own.</summary>
    private const int MaxLineBytes = 1024 * 1024;

    private const int TimestampPrefix = JobLogWriter.TimestampLength + 1;

    private readonly Stream _log;
    private readonly long _start;
    private readonly long _end;
    private readonly MaskingWindow _window;
    private readonly MaskedLineHandler _emit;
    private readonly ArrayBufferWriter<byte> _partial = new(4096);
    private readonly Queue<bool> _newlines = new();
    private readonly byte[] _block = new byte[64 * 1024];
    private byte[] _out = new byte[64 * 1024];
    private int _outStart;
    private int _outEnd;
    private long _emittedOffset;
    private long _delivered;
    private bool _innerEnded;
    private bool _done;

    /// <param name="log">The stored log, seekable; disposed with this stream.</param>
    /// <param name="masker">The secrets to mask.</param>
    /// <param name="start">The first byte of the range.</param>
    /// <param name="length">The number of bytes of the range (the caller keeps it within the file).</param>
    public MaskedLogStream(Stream log, SecretMasker masker, long start, long length)
    {
        _log = log;
        _start = start;
        _end = start + length;
        _window = new MaskingWindow(masker);
        _emit = Emit;
        var from = Math.Max(0, start - ContextBytes - 2L * masker.LongestPatternBytes);
        log.Seek(from, SeekOrigin.Begin);
        _emittedOffset = from;
        if (length <= 0) _done = true;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _end - _start;

    public override long Position
    {
        get => _delivered;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (_outStart == _outEnd && !_done) Fill();
        var n = Math.Min(buffer.Length, _outEnd - _outStart);
        _out.AsSpan(_outStart, n).CopyTo(buffer);
        _outStart += n;
        _delivered += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Reads the next block of the log and masks the lines it completes.</summary>
    private void Fill()
    {
        _outStart = _outEnd = 0;
        if (_innerEnded)
        {
            _window.Flush(_emit);
            _done = true;
            return;
        }

        var read = _log.Read(_block);
        if (read == 0)
        {
            _innerEnded = true;
            if (_partial.WrittenCount > 0) AddLine(_partial.WrittenSpan, newline: false);
            _partial.ResetWrittenCount();
            return;
        }

        var chunk = _block.AsSpan(0, read);
        while (!chunk.IsEmpty && !_done)
        {
            var newline = chunk.IndexOf((byte)'\n');
            if (newline < 0)
            {
                _partial.Write(chunk);
                if (_partial.WrittenCount >= MaxLineBytes)
                {
                    AddLine(_partial.WrittenSpan, newline: false);
                    _partial.ResetWrittenCount();
                }

                return;
            }

            if (_partial.WrittenCount == 0)
            {
                AddLine(chunk[..newline], newline: true);
            }
            else
            {
                _partial.Write(chunk[..newline]);
                AddLine(_partial.WrittenSpan, newline: true);
                _partial.ResetWrittenCount();
            }

            chunk = chunk[(newline + 1)..];
        }
    }

    private void AddLine(ReadOnlySpan<byte> line, bool newline)
    {
        _newlines.Enqueue(newline);
        var prefix = line.Length >= TimestampPrefix && line[TimestampPrefix - 1] == (byte)' ' && line[TimestampPrefix - 2] == (byte)'Z'
            ? TimestampPrefix
            : 0;
        _window.Add(line, prefix, _emit);
    }

    private void Emit(ReadOnlySpan<byte> line, List<ByteRange> masks)
    {
        var newline = _newlines.Dequeue();
        var lineStart = _emittedOffset;
        var total = line.Length + (newline ? 1 : 0);
        _emittedOffset += total;
        if (_emittedOffset <= _start || lineStart >= _end) return;

        var copy = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            line.CopyTo(copy);
            if (newline) copy[line.Length] = (byte)'\n';
            MaskedText.Overwrite(copy.AsSpan(0, line.Length), masks);
            var from = (int)Math.Max(0, _start - lineStart);
            var to = (int)Math.Min(total, _end - lineStart);
            Append(copy.AsSpan(from, to - from));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }

        if (_emittedOffset >= _end) _done = true;
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (_outEnd + bytes.Length > _out.Length) Array.Resize(ref _out, Math.Max(_out.Length * 2, _outEnd + bytes.Length));
        bytes.CopyTo(_out.AsSpan(_outEnd));
        _outEnd += bytes.Length;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _log.Dispose();
        base.Dispose(disposing);
    }
}
