using System.Buffers;
using Pipeliner.Engine.Logging;

namespace Pipeliner.Engine.Secrets;

/// <summary>Hears a line once its secret ranges are final; <paramref name="masks"/> are ranges of <paramref name="line"/>, possibly overlapping.</summary>
public delegate void MaskedLineHandler(ReadOnlySpan<byte> line, List<ByteRange> masks);

/// <summary>
/// Finds secrets in a sequence of lines, also where a value runs on from one line into the next: base64 wrapped at
/// 76 columns, a value printed in pieces, a multi-line value. Lines are searched joined, without their line breaks,
/// escape sequences and carriage returns, and each line is handed on once no later line can change it: a line that
/// ends with the start of a secret (at least <see cref="MinimumUnfinished"/> bytes of it) is held until the following
/// lines finish or break the value, at most <see cref="MaxHeldLines"/> lines and <see cref="MaxHeldBytes"/> bytes.
/// Lines come out in the order they went in, one for each.
/// </summary>
public sealed class MaskingWindow(SecretMasker masker)
{
    /// <summary>A shorter start of a value at the end of a line does not hold it (at most this many bytes less one can show before a line break).</summary>
    public const int MinimumUnfinished = 4;

    public const int MaxHeldLines = 64;
    public const int MaxHeldBytes = 512 * 1024;

    private readonly int _maxContext = Math.Max(0, masker.LongestPatternBytes - 1);
    private readonly List<Held> _held = [];
    private readonly ArrayBufferWriter<byte> _joined = new(1024);
    private readonly List<ByteRange> _found = [];
    private readonly List<ByteRange> _newRanges = [];
    private byte[] _context = new byte[Math.Max(0, masker.LongestPatternBytes - 1)];
    private int _contextLength;
    private int _heldBytes;

    /// <summary>Adds a line; <paramref name="prefixLength"/> bytes at its start (a stored log's timestamp) are not text.</summary>
    public void Add(ReadOnlySpan<byte> line, int prefixLength, MaskedLineHandler emit)
    {
        _newRanges.Clear();
        if (masker.IsEmpty)
        {
            emit(line, _newRanges);
            return;
        }

        var text = line[prefixLength..];
        byte[]? visibleCopy = null;
        int[]? map = null;
        ReadOnlySpan<byte> visible = text;
        if (!TerminalText.IsPlain(text))
        {
            visibleCopy = new byte[text.Length];
            map = new int[text.Length];
            var count = TerminalText.Strip(text, visibleCopy, map);
            visibleCopy = visibleCopy[..count];
            visible = visibleCopy;
        }

        _joined.ResetWrittenCount();
        _joined.Write(_context.AsSpan(0, _contextLength));
        foreach (var held in _held) _joined.Write(held.Visible);
        var newStart = _joined.WrittenCount;
        _joined.Write(visible);
        var joined = _joined.WrittenSpan;

        _found.Clear();
        var unfinished = masker.Scan(joined, newStart, _found, MinimumUnfinished);
        if (_found.Count > 0) Distribute(newStart, joined.Length, prefixLength, map);
        if (map is not null && masker.WholeLineShowsASecret(text)) _newRanges.Add(new ByteRange(prefixLength, line.Length));

        // Lines from the first one holding an unfinished value on stay; the others are final.
        var segmentStart = _contextLength;
        var emitCount = _held.Count;
        var keepNew = unfinished >= 0;
        if (unfinished >= 0)
        {
            for (var i = 0; i < _held.Count; i++)
            {
                var end = segmentStart + _held[i].Visible.Length;
                if (end > unfinished)
                {
                    emitCount = i;
                    break;
                }

                segmentStart = end;
            }
        }

        for (var i = 0; i < emitCount; i++) EmitHeld(_held[i], emit);
        _held.RemoveRange(0, emitCount);
        if (keepNew || _held.Count > 0)
        {
            var held = new Held(line.ToArray(), visibleCopy ?? visible.ToArray(), prefixLength, map, [.. _newRanges]);
            _held.Add(held);
            _heldBytes += held.Line.Length;
            while (_held.Count > MaxHeldLines || _heldBytes > MaxHeldBytes)
            {
                EmitHeld(_held[0], emit);
                _held.RemoveAt(0);
            }
        }
        else
        {
            emit(line, _newRanges);
            AppendContext(visible);
        }
    }

    /// <summary>Hands on every held line: the output ended.</summary>
    public void Flush(MaskedLineHandler emit)
    {
        foreach (var held in _held) EmitHeld(held, emit);
        _held.Clear();
        _heldBytes = 0;
    }

    private void EmitHeld(Held held, MaskedLineHandler emit)
    {
        emit(held.Line, held.Ranges);
        _heldBytes -= held.Line.Length;
        AppendContext(held.Visible);
    }

    /// <summary>Keeps the last bytes of the text handed on: a value may start there and end in a later line.</summary>
    private void AppendContext(ReadOnlySpan<byte> visible)
    {
        if (_maxContext == 0) return;
        if (visible.Length >= _maxContext)
        {
            visible[^_maxContext..].CopyTo(_context);
            _contextLength = _maxContext;
            return;
        }

        var keep = Math.Min(_contextLength, _maxContext - visible.Length);
        _context.AsSpan(_contextLength - keep, keep).CopyTo(_context);
        visible.CopyTo(_context.AsSpan(keep));
        _contextLength = keep + visible.Length;
    }

    /// <summary>Gives each held line and the new one the parts of the found values that lie in its text.</summary>
    private void Distribute(int newStart, int joinedLength, int newPrefix, int[]? newMap)
    {
        var start = _contextLength;
        foreach (var held in _held)
        {
            var end = start + held.Visible.Length;
            Clip(start, end, held.Prefix, held.Map, held.Ranges);
            start = end;
        }

        Clip(newStart, joinedLength, newPrefix, newMap, _newRanges);
    }

    private void Clip(int segmentStart, int segmentEnd, int prefix, int[]? map, List<ByteRange> into)
    {
        foreach (var found in _found)
        {
            var from = Math.Max(found.Start, segmentStart);
            var to = Math.Min(found.End, segmentEnd);
            if (from >= to) continue;
            from -= segmentStart;
            to -= segmentStart;
            into.Add(map is null
                ? new ByteRange(prefix + from, prefix + to)
                : new ByteRange(prefix + map[from], prefix + map[to - 1] + 1));
        }
    }

    private sealed record Held(byte[] Line, byte[] Visible, int Prefix, int[]? Map, List<ByteRange> Ranges);
}
