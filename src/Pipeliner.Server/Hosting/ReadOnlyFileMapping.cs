using System.Buffers.Binary;

namespace Pipeliner.Server.Hosting;

/// <summary>
/// A read-only mapping of a regular file, from its line in <c>/proc/self/maps</c>: its address range, and what tells it
/// again at the next reading without keeping the line (permissions, offset, device, inode: a mapping split or changed by
/// an <c>mprotect</c> or mapped anew differs in one of them).
/// </summary>
public readonly struct ReadOnlyFileMapping(ulong start, ulong end, uint permissions, ulong offset, ulong device, ulong inode)
{
    public ulong Start { get; } = start;
    public ulong End { get; } = end;
    public uint Permissions { get; } = permissions;
    public ulong Offset { get; } = offset;
    public ulong Device { get; } = device;
    public ulong Inode { get; } = inode;

    public nint Address => (nint)Start;
    public nuint Length => (nuint)(End - Start);

    public bool SameAs(in ReadOnlyFileMapping other) =>
        Start == other.Start && End == other.End && Permissions == other.Permissions && Offset == other.Offset
        && Device == other.Device && Inode == other.Inode;

    /// <summary>
    /// Reads one <c>/proc/&lt;pid&gt;/maps</c> line (<c>start-end perms offset major:minor inode   path</c>, without its
    /// newline); true for a read-only mapping of a regular file: not writable, backed by a path (not anonymous memory, the
    /// stack or the vDSO), not a memfd (the runtime's double-mapped code and type data, which is memory, not a file) and
    /// not a device. The path may hold spaces or end with " (deleted)": only its start is looked at.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> line, out ReadOnlyFileMapping mapping)
    {
        mapping = default;
        if (!TryField(ref line, (byte)'-', out var field) || !TryHex(field, out var start)
            || !TryField(ref line, (byte)' ', out field) || !TryHex(field, out var end) || end <= start
            || !TryField(ref line, (byte)' ', out var permissions) || permissions.Length != 4 || permissions[1] == (byte)'w'
            || !TryField(ref line, (byte)' ', out field) || !TryHex(field, out var offset)
            || !TryField(ref line, (byte)':', out field) || !TryHex(field, out var major)
            || !TryField(ref line, (byte)' ', out field) || !TryHex(field, out var minor)
            || !TryField(ref line, (byte)' ', out field) || !TryDecimal(field, out var inode)) return false;
        var path = line.TrimStart((byte)' ');
        if (path.IsEmpty || path[0] != (byte)'/' || path.StartsWith("/memfd:"u8) || path.StartsWith("/dev/"u8)) return false;
        mapping = new ReadOnlyFileMapping(start, end, BinaryPrimitives.ReadUInt32LittleEndian(permissions), offset, major << 32 | minor, inode);
        return true;
    }

    private static bool TryField(ref ReadOnlySpan<byte> line, byte separator, out ReadOnlySpan<byte> field)
    {
        var at = line.IndexOf(separator);
        if (at <= 0)
        {
            field = default;
            return false;
        }
        field = line[..at];
        line = line[(at + 1)..];
        return true;
    }

    private static bool TryHex(ReadOnlySpan<byte> digits, out ulong value)
    {
        value = 0;
        if (digits.Length > 16) return false;
        foreach (var c in digits)
        {
            var digit = c switch
            {
                >= (byte)'0' and <= (byte)'9' => c - '0',
                >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
                _ => -1,
            };
            if (digit < 0) return false;
            value = value << 4 | (uint)digit;
        }
        return true;
    }

    private static bool TryDecimal(ReadOnlySpan<byte> digits, out ulong value)
    {
        value = 0;
        if (digits.Length > 19) return false;
        foreach (var c in digits)
        {
            if (c is < (byte)'0' or > (byte)'9') return false;
            value = value * 10 + (uint)(c - '0');
        }
        return true;
    }
}
