namespace Pipeliner.Server.Hosting;

/// <summary>
/// The read-only file mappings of this process (<see cref="ReadOnlyFileMapping"/>), read from <c>/proc/self/maps</c> a
/// chunk at a time into buffers kept from one reading to the next: the zap reads them about once a second in a burst,
/// and splitting every line into strings allocated ~0.5 MB each time. It keeps the previous reading to tell which
/// mappings were already there, unchanged: the kernel lists them by address, so the two lists are walked side by side.
/// </summary>
public sealed class ReadOnlyFileMappings
{
    private const int ChunkBytes = 16 * 1024; // a line is at most a path (4,096 bytes) and ~100 bytes before it

    private readonly byte[] _text;
    private ReadOnlyFileMapping[] _current = new ReadOnlyFileMapping[256];
    private ReadOnlyFileMapping[] _previous = new ReadOnlyFileMapping[256];
    private int _currentCount;
    private int _previousCount;
    private int _previousAt;

    public ReadOnlyFileMappings() : this(ChunkBytes)
    {
    }

    /// <param name="chunkBytes">How much of the maps file is read at a time (a smaller chunk splits more lines between reads).</param>
    internal ReadOnlyFileMappings(int chunkBytes) => _text = new byte[chunkBytes];

    /// <summary>The mappings of the last reading, by address.</summary>
    public ReadOnlySpan<ReadOnlyFileMapping> Current => _current.AsSpan(0, _currentCount);

    /// <summary>Reads the mappings of <paramref name="mapsPath"/> (this process's by default); the last reading becomes the previous one.</summary>
    public ReadOnlySpan<ReadOnlyFileMapping> Read(string mapsPath = "/proc/self/maps")
    {
        BeginReading();
        using var maps = File.OpenHandle(mapsPath);
        long offset = 0;
        var kept = 0;
        while (true)
        {
            // The kernel's maps file is read in order (each read continues where the last one ended), never by seeking back.
            var read = RandomAccess.Read(maps, _text.AsSpan(kept), offset);
            offset += read;
            var text = _text.AsSpan(0, kept + read);
            var used = Add(text, final: read == 0);
            if (read == 0) break;
            kept = text.Length - used;
            // A line longer than the whole buffer (not a path the kernel writes) is dropped rather than read in pieces.
            if (kept == _text.Length) kept = 0;
            text[used..].CopyTo(_text);
        }
        return Current;
    }

    /// <summary>Reads the mappings of a maps text given whole (its last line need not end with a newline).</summary>
    public ReadOnlySpan<ReadOnlyFileMapping> Parse(ReadOnlySpan<byte> mapsText)
    {
        BeginReading();
        Add(mapsText, final: true);
        return Current;
    }

    /// <summary>
    /// Whether <paramref name="mapping"/> of the current reading was in the previous one, unchanged. Asked in address
    /// order (as <see cref="Current"/> lists them) after each reading.
    /// </summary>
    public bool WasThereBefore(in ReadOnlyFileMapping mapping)
    {
        while (_previousAt < _previousCount && _previous[_previousAt].Start < mapping.Start) _previousAt++;
        return _previousAt < _previousCount && _previous[_previousAt].SameAs(mapping);
    }

    private void BeginReading()
    {
        (_previous, _current) = (_current, _previous);
        _previousCount = _currentCount;
        _currentCount = 0;
        _previousAt = 0;
    }

    /// <summary>Adds the mappings of the complete lines of <paramref name="text"/>; returns the bytes used (up to the last newline).</summary>
    private int Add(ReadOnlySpan<byte> text, bool final)
    {
        var used = 0;
        while (used < text.Length)
        {
            var rest = text[used..];
            var end = rest.IndexOf((byte)'\n');
            if (end < 0)
            {
                if (!final) return used;
                end = rest.Length;
            }
            if (ReadOnlyFileMapping.TryParse(rest[..end], out var mapping)) Append(mapping);
            used += Math.Min(end + 1, rest.Length);
        }
        return used;
    }

    private void Append(in ReadOnlyFileMapping mapping)
    {
        if (_currentCount == _current.Length)
        {
            var larger = new ReadOnlyFileMapping[_current.Length * 2];
            _current.CopyTo(larger, 0);
            _current = larger;
        }
        _current[_currentCount++] = mapping;
    }
}
