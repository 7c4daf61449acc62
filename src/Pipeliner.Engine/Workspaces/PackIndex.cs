using System.Buffers.Binary;

namespace Pipeliner.Engine.Workspaces;

/// <summary>Reads the object ids a git pack index (<c>.idx</c>, version 2) lists.</summary>
internal static class PackIndex
{
    private static readonly byte[] Signature = [0xff, 0x74, 0x4f, 0x63];

    /// <summary>The ids (hex) of the objects in the pack; <see cref="InvalidDataException"/> for anything but a version 2 index.</summary>
    public static IEnumerable<string> ObjectIds(string indexPath)
    {
        var bytes = File.ReadAllBytes(indexPath);
        // Header (signature, version 2), 256 fan-out counts (the last is the number of objects), then the sorted ids.
        if (bytes.Length < 8 + 256 * 4 || !bytes.AsSpan(0, 4).SequenceEqual(Signature) || BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4)) != 2)
            throw new InvalidDataException($"{indexPath} is not a version 2 pack index");
        var count = (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(8 + 255 * 4));
        const int idsStart = 8 + 256 * 4;
        if (bytes.Length < idsStart + (long)count * 20) throw new InvalidDataException($"{indexPath} is cut short");
        var ids = new List<string>(count);
        for (var i = 0; i < count; i++) ids.Add(Convert.ToHexStringLower(bytes, idsStart + i * 20, 20));
        return ids;
    }
}
