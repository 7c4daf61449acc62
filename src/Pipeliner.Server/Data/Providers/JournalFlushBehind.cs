namespace Pipeliner.Server.Data.Providers;

/// <summary>
/// Flushes the intake journal's write-ahead log to disk behind the answers (<c>Pipeliner:Webhooks:JournalFlushEvery</c>
/// above zero): the entries are committed without a flush (<c>synchronous = NORMAL</c>: in the system's page cache, so a
/// crash of the server process loses none) and this thread flushes the log at most every <see cref="_every"/>, the
/// entries written meanwhile together. An entry is on disk at most that interval plus one flush after its <c>202</c>; a
/// power loss or a crash of the machine within it can lose accepted deliveries. Flushing only the log is enough: the
/// entries live there until a checkpoint, which flushes the log itself before copying it.
/// </summary>
public sealed class JournalFlushBehind : IDisposable
{
    private readonly FileStream _log;
    private readonly TimeSpan _every;
    private readonly SemaphoreSlim _written = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Thread _thread;
    private int _unflushed;
    private long _flushes;
    private int _disposed;

    public JournalFlushBehind(string logPath, TimeSpan every)
    {
        // Opened for writing only because FileStream flushes to disk (fsync) only a stream it can write; nothing is written through it.
        _log = new FileStream(logPath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        _every = every;
        _thread = new Thread(Run) { IsBackground = true, Name = "Intake journal flush" };
        _thread.Start();
    }

    /// <summary>The flushes done so far.</summary>
    public long Flushes => Interlocked.Read(ref _flushes);

    /// <summary>An entry was committed to the log without a flush: the next flush takes it.</summary>
    public void Written()
    {
        if (Interlocked.Exchange(ref _unflushed, 1) == 0) _written.Release();
    }

    private void Run()
    {
        try
        {
            while (true)
            {
                _written.Wait(_stopping.Token);
                try
                {
                    Flush();
                }
                catch (IOException)
                {
                    // The disk refused the flush: tried again after the interval (a thread's exception would end the process).
                    Written();
                }
                // At most one flush per interval: what is written meanwhile waits for the next one.
                _stopping.Token.WaitHandle.WaitOne(_every);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Flush()
    {
        // Cleared before the flush: an entry committed while it runs may not be in it, so it asks for the next one.
        Interlocked.Exchange(ref _unflushed, 0);
        _log.Flush(flushToDisk: true);
        Interlocked.Increment(ref _flushes);
    }

    /// <summary>Stops the thread and flushes what is left, so that a server stopped in order leaves every entry on disk.</summary>
    public void Dispose()
    {
        // The journal is disposed by its owner and by the container: the second time there is nothing left to do.
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stopping.Cancel();
        _thread.Join();
        if (Volatile.Read(ref _unflushed) != 0) Flush();
        _log.Dispose();
        _written.Dispose();
        _stopping.Dispose();
    }
}
