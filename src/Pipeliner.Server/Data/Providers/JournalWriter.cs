using System.Diagnostics;

namespace Pipeliner.Server.Data.Providers;

/// <summary>
/// Makes every write to the intake journal (<see cref="SqliteDeliveryJournal"/>) one at a time, a webhook's append before
/// any removal waiting. With two writers on <c>intake.db</c> (the intake's append on a request's thread, the transfer's
/// removal on a pool thread) an append that found the removal holding the write lock slept in SQLite's busy handler — 1,
/// then 2, 5, 10, 15… ms, however soon the lock was free; traced during a Docker burst, 8 of 102 appends slept so, up to
/// 44 ms. Here an append waits at most for the one write in progress and nobody sleeps. Removals run on the writer's own
/// thread; appends there too, or on their callers' threads (see remarks).
/// </summary>
/// <remarks>
/// An append handed to the writer's thread waits for that thread to be woken and given a core: during a Docker burst on
/// two cores, with ten or more tasks runnable, that took 5–25 ms for a few appends per burst (docs/performance.md, "The
/// intake journal's append"). With <c>appendsOnCallersThread</c> (for appends that do not wait for the disk) an append is
/// therefore made on its caller's thread, which is running already, after the write in progress if there is one: no
/// hand-over at all, and no code that runs only when one happens (first run in the middle of a burst, its compilation
/// cost an append 8–50 ms). Otherwise the caller's
/// continuation after an append made on the writer's thread runs on that thread (its task is completed without
/// <see cref="TaskCreationOptions.RunContinuationsAsynchronously"/>): the webhook's answer is written from there instead of
/// queueing again for a pool thread. A removal's caller (background work) continues elsewhere.
/// </remarks>
public sealed class JournalWriter : IDisposable
{
    private readonly object _gate = new();
    private readonly Queue<Write> _appends = new();
    private readonly Queue<Write> _removals = new();
    private readonly Thread _thread;
    private readonly bool _appendsOnCallersThread;
    private readonly TaskCompletionSource<ThreadCoreWait> _writersCoreWait = new();
    private bool _writing;
    private int _callersWaiting;
    private bool _stopping;
    private volatile JournalWriterWork _work;

    private sealed record Write(Func<object?> Run, TaskCompletionSource<object?> Done, bool IsAppend)
    {
        public long Queued { get; init; }
        public JournalWriterWork Found { get; init; }
        public long CoreWaitWhenQueued { get; init; }

        /// <summary>Set by the writer's thread before it completes <see cref="Done"/>.</summary>
        public JournalAppendWait? Wait { get; set; }
    }

    /// <param name="appendsOnCallersThread">Appends are made on their callers' threads (after the write in progress).</param>
    public JournalWriter(string name, bool appendsOnCallersThread = false)
    {
        _appendsOnCallersThread = appendsOnCallersThread;
        // A thread inherits its creator's nice value: created with the journal, at start, at the server's priority.
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Runs <paramref name="append"/> before any removal waiting; <see cref="JournalAppendWait.Last"/> says where it waited.</summary>
    public async Task<T> AppendAsync<T>(Func<T> append)
    {
        if (_appendsOnCallersThread) return (T)RunOnCallersThread(() => append())!;
        var write = Enqueue(_appends, () => append(), true, TaskCreationOptions.None);
        var result = (T)(await write.Done.Task)!;
        // Here, on the thread the caller continues on: the writer's when this await waited, the caller's when it did not.
        JournalAppendWait.Last = write.Wait;
        return result;
    }

    /// <summary>Runs <paramref name="remove"/> on the writer's thread when no append waits.</summary>
    public Task RemoveAsync(Action remove) => Enqueue(_removals, () =>
    {
        remove();
        return null;
    }, false, TaskCreationOptions.RunContinuationsAsynchronously).Done.Task;

    /// <summary>
    /// Waits for the write in progress, if any, then writes on the caller's thread. Appends come first: the writer's thread
    /// takes no removal while a caller waits. The wait is one write at most, a removal of a fraction of a millisecond.
    /// </summary>
    private object? RunOnCallersThread(Func<object?> append)
    {
        var queued = Stopwatch.GetTimestamp();
        JournalWriterWork found;
        lock (_gate)
        {
            if (_stopping) throw new ObjectDisposedException(nameof(JournalWriter));
            found = !_writing ? JournalWriterWork.Idle : _work == JournalWriterWork.Idle ? JournalWriterWork.Append : _work;
            _callersWaiting++;
            while (_writing) Monitor.Wait(_gate);
            _callersWaiting--;
            _writing = true;
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            return append();
        }
        finally
        {
            // The caller's own waits for a core are the intake's to measure (IntakeTimings): it runs there from the start.
            JournalAppendWait.Last = new(found, Stopwatch.GetElapsedTime(queued, started).TotalMilliseconds, 0,
                Stopwatch.GetElapsedTime(started).TotalMilliseconds, 0) { OnCallersThread = true };
            lock (_gate)
            {
                _writing = false;
                // Callers waiting for their turn, the writer's thread for writes queued meanwhile or to stop.
                Monitor.PulseAll(_gate);
            }
        }
    }

    private Write Enqueue(Queue<Write> queue, Func<object?> run, bool isAppend, TaskCreationOptions continuations)
    {
        var queued = Stopwatch.GetTimestamp();
        var coreWait = isAppend && _writersCoreWait.Task.IsCompleted ? _writersCoreWait.Task.Result.Nanoseconds() : 0;
        var done = new TaskCompletionSource<object?>(continuations);
        lock (_gate)
        {
            if (_stopping) throw new ObjectDisposedException(nameof(JournalWriter));
            // An append made on its caller's thread is the write in progress while the writer's thread is idle.
            var found = _work == JournalWriterWork.Idle && _writing ? JournalWriterWork.Append : _work;
            var write = new Write(run, done, isAppend) { Queued = queued, Found = found, CoreWaitWhenQueued = coreWait };
            queue.Enqueue(write);
            Monitor.PulseAll(_gate);
            return write;
        }
    }

    private void Loop()
    {
        using var clock = ThreadCoreWait.OfCurrentThread;
        _writersCoreWait.SetResult(clock);
        while (true)
        {
            Write write;
            lock (_gate)
            {
                _work = JournalWriterWork.Idle;
                while ((_writing || _callersWaiting > 0 || _appends.Count == 0 && _removals.Count == 0) && !_stopping) Monitor.Wait(_gate);
                while (_writing || _callersWaiting > 0) Monitor.Wait(_gate);
                if (_appends.Count == 0 && _removals.Count == 0) return;
                write = _appends.Count > 0 ? _appends.Dequeue() : _removals.Dequeue();
                _writing = true;
                _work = write.IsAppend ? JournalWriterWork.Append : JournalWriterWork.Removal;
            }

            var taken = Stopwatch.GetTimestamp();
            var coreWaitWhenTaken = write.IsAppend ? clock.Nanoseconds() : 0;
            object? result = null;
            Exception? failure = null;
            try
            {
                result = write.Run();
            }
            catch (Exception e)
            {
                failure = e;
            }

            lock (_gate)
            {
                _writing = false;
                Monitor.PulseAll(_gate);
            }

            if (write.IsAppend)
            {
                write.Wait = new JournalAppendWait(write.Found, Stopwatch.GetElapsedTime(write.Queued, taken).TotalMilliseconds,
                    (coreWaitWhenTaken - write.CoreWaitWhenQueued) / 1e6, Stopwatch.GetElapsedTime(taken).TotalMilliseconds,
                    (clock.Nanoseconds() - coreWaitWhenTaken) / 1e6);
                _work = JournalWriterWork.Answer;
            }

            if (failure is null) write.Done.SetResult(result);
            else write.Done.SetException(failure);
        }
    }

    /// <summary>Finishes the writes queued, then ends the thread.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }

        if (Thread.CurrentThread != _thread) _thread.Join();
    }
}
