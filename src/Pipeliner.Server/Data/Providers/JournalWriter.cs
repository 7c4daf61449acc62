namespace Pipeliner.Server.Data.Providers;

/// <summary>
/// The one thread that writes the intake journal (<see cref="SqliteDeliveryJournal"/>), one write at a time, a webhook's
/// append before any removal waiting. With two writers on <c>intake.db</c> (the intake's append on a request's thread, the
/// transfer's removal on a pool thread) an append that found the removal holding the write lock slept in SQLite's busy
/// handler — 1, then 2, 5, 10, 15… ms, however soon the lock was free — and a removal's autocheckpoint flushed the files
/// on the removal's connection; traced during a Docker burst, 8 of 102 appends slept so, up to 44 ms. Here an append waits
/// at most for the one write in progress, nobody sleeps, and no pool thread blocks in the append's flush.
/// </summary>
/// <remarks>
/// The caller's continuation after an append runs on this thread (its task is completed without
/// <see cref="TaskCreationOptions.RunContinuationsAsynchronously"/>): the webhook's answer is written from here instead of
/// queueing again for a pool thread behind the burst's background work. It is the rest of a request, well under a
/// millisecond; the next write waits for it. A removal's caller (background work) continues elsewhere.
/// </remarks>
public sealed class JournalWriter : IDisposable
{
    private readonly object _gate = new();
    private readonly Queue<Write> _appends = new();
    private readonly Queue<Write> _removals = new();
    private readonly Thread _thread;
    private bool _stopping;

    private sealed record Write(Func<object?> Run, TaskCompletionSource<object?> Done);

    public JournalWriter(string name)
    {
        // A thread inherits its creator's nice value: created with the journal, at start, at the server's priority.
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Runs <paramref name="append"/> on the writer's thread before any removal waiting.</summary>
    public async Task<T> AppendAsync<T>(Func<T> append) => (T)(await Enqueue(_appends, () => append(), TaskCreationOptions.None))!;

    /// <summary>Runs <paramref name="remove"/> on the writer's thread when no append waits.</summary>
    public Task RemoveAsync(Action remove) => Enqueue(_removals, () =>
    {
        remove();
        return null;
    }, TaskCreationOptions.RunContinuationsAsynchronously);

    private Task<object?> Enqueue(Queue<Write> queue, Func<object?> run, TaskCreationOptions continuations)
    {
        var write = new Write(run, new TaskCompletionSource<object?>(continuations));
        lock (_gate)
        {
            if (_stopping) throw new ObjectDisposedException(nameof(JournalWriter));
            queue.Enqueue(write);
            Monitor.Pulse(_gate);
        }

        return write.Done.Task;
    }

    private void Loop()
    {
        while (true)
        {
            Write write;
            lock (_gate)
            {
                while (_appends.Count == 0 && _removals.Count == 0 && !_stopping) Monitor.Wait(_gate);
                if (_appends.Count == 0 && _removals.Count == 0) return;
                write = _appends.Count > 0 ? _appends.Dequeue() : _removals.Dequeue();
            }

            object? result;
            try
            {
                result = write.Run();
            }
            catch (Exception e)
            {
                write.Done.SetException(e);
                continue;
            }

            write.Done.SetResult(result);
        }
    }

    /// <summary>Finishes the writes queued, then ends the thread.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.Pulse(_gate);
        }

        if (Thread.CurrentThread != _thread) _thread.Join();
    }
}
