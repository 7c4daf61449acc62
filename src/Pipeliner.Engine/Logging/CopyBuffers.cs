namespace Pipeliner.Engine.Logging;

/// <summary>
/// The read buffers of the step output copies (<see cref="JobLogWriter.CopyFromAsync"/>), kept from one step to the next.
/// Every copy runs on a thread of its own, and the shared array pool keeps what a thread gives back in that thread's own
/// slot, lost when the thread ends: from it every step's 64 KiB would be a new array, a burst's largest garbage.
/// </summary>
internal static class CopyBuffers
{
    public const int Size = 1 << 16;

    /// <summary>As many as copies usually run at once (a job slot's steps and services); more are made and dropped.</summary>
    private const int Kept = 8;

    private static readonly Stack<byte[]> Free = new(Kept);
    private static readonly Lock Gate = new();

    public static byte[] Rent()
    {
        lock (Gate)
            if (Free.TryPop(out var buffer))
                return buffer;
        return new byte[Size];
    }

    public static void Return(byte[] buffer)
    {
        lock (Gate)
            if (Free.Count < Kept)
                Free.Push(buffer);
    }
}
