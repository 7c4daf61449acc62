namespace Pipeliner.Server.Webhooks;

/// <summary>A number of bytes shared by concurrent requests: taken before use, given back after, never more in use than the capacity.</summary>
public sealed class ByteBudget(long capacity)
{
    private long _inUse;

    public long Capacity => capacity;

    public long InUse => Interlocked.Read(ref _inUse);

    /// <returns>False, taking nothing, when <paramref name="bytes"/> more would exceed the capacity.</returns>
    public bool TryTake(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        while (true)
        {
            var current = Interlocked.Read(ref _inUse);
            if (current + bytes > capacity) return false;
            if (Interlocked.CompareExchange(ref _inUse, current + bytes, current) == current) return true;
        }
    }

    public void Return(long bytes) => Interlocked.Add(ref _inUse, -bytes);
}
