using System.Buffers;
using Pipeliner.Engine.Secrets;

namespace Pipeliner.Engine.Logging;

public delegate void LineHandler(ReadOnlySpan<byte> line);

/// <summary>
/// Cuts a byte stream arriving in arbitrary chunks into masked lines. Secrets are masked on whole lines, so a
/// value split across chunks is still found, and across lines (<see cref="MaskingWindow"/>), so a value wrapped or
/// printed in pieces is too. A line longer than the limit is cut, keeping back enough bytes that a secret
/// straddling the cut is masked in the next piece.
/// </summary>
public sealed class LogLineAssembler
{
    private readonly SecretMasker masker;
    private readonly int maxLineBytes;
    private readonly ArrayBufferWriter<byte> _pending = new(4096);
    private readonly ArrayBufferWriter<byte> _masked = new(4096);
    private readonly MaskingWindow _window;
    private readonly MaskedLineHandler _emitMasked;
    private LineHandler? _onLine;

    public LogLineAssembler(SecretMasker masker, int maxLineBytes = 64 * 1024)
    {
        this.masker = masker;
        this.maxLineBytes = maxLineBytes;
        _window = new MaskingWindow(masker);
        _emitMasked = EmitMasked;
    }

    public void Append(ReadOnlySpan<byte> chunk, LineHandler onLine)
    {
        _onLine = onLine;
        while (!chunk.IsEmpty)
        {
            var newline = chunk.IndexOf((byte)'\n');
            if (newline < 0)
            {
                _pending.Write(chunk);
                if (_pending.WrittenCount > maxLineBytes) EmitLongLinePart(onLine);
                return;
            }

            if (_pending.WrittenCount == 0)
            {
                EmitLine(chunk[..newline], onLine);
            }
            else
            {
                _pending.Write(chunk[..newline]);
                EmitLine(_pending.WrittenSpan, onLine);
                _pending.ResetWrittenCount();
            }

            chunk = chunk[(newline + 1)..];
        }
    }

    /// <summary>Emits the last line when the stream ended without a newline.</summary>
    public void Flush(LineHandler onLine)
    {
        _onLine = onLine;
        if (_pending.WrittenCount > 0)
        {
            EmitLine(_pending.WrittenSpan, onLine);
            _pending.ResetWrittenCount();
        }

        _window.Flush(_emitMasked);
    }

    private void EmitLine(ReadOnlySpan<byte> line, LineHandler onLine)
    {
        if (!line.IsEmpty && line[^1] == '\r') line = line[..^1];
        if (masker.IsEmpty)
        {
            onLine(line);
            return;
        }

        _window.Add(line, 0, _emitMasked);
    }

    private void EmitMasked(ReadOnlySpan<byte> line, List<ByteRange> masks)
    {
        if (masks.Count == 0)
        {
            _onLine!(line);
            return;
        }

        _masked.ResetWrittenCount();
        MaskedText.Replace(line, masks, _masked);
        _onLine!(_masked.WrittenSpan);
    }

    private void EmitLongLinePart(LineHandler onLine)
    {
        // Mask the whole buffer first, then keep its tail back: the tail may be the start of a secret.
        _masked.ResetWrittenCount();
        masker.MaskInto(_pending.WrittenSpan, _masked);
        var keep = Math.Min(_masked.WrittenCount, Math.Max(0, masker.LongestPatternBytes - 1));
        var emit = _masked.WrittenCount - keep;
        var tail = _masked.WrittenSpan[emit..].ToArray();
        var piece = _masked.WrittenSpan[..emit].ToArray();
        _pending.ResetWrittenCount();
        _pending.Write(tail);
        _window.Add(piece, 0, _emitMasked);
    }
}
