using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Pipeliner.Server.Hosting;

/// <summary>
/// A dedicated thread of a lower scheduling priority (its <c>nice</c> raised by a number of steps, Linux only) that runs an asynchronous loop:
/// its continuations are posted back to this thread, so the loop's work stays off the thread pool and, when the cores are
/// busy, gives way to the threads that answer requests. Used for the webhooks' background work (moving journaled
/// deliveries into rows, creating runs from them), which otherwise took cores and pool threads from the intake while a
/// burst of webhooks arrived.
/// </summary>
/// <remarks>
/// Code run here must not block on a task whose continuation is posted to this thread (it would wait for itself);
/// libraries' own continuations (<c>ConfigureAwait(false)</c>) run on the pool as before.
/// </remarks>
public sealed class LowPriorityThread : SynchronizationContext, IDisposable
{
    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _posted = new();
    private readonly Thread _thread;
    private readonly int _lowerBy;

    public LowPriorityThread(string name, int lowerBy)
    {
        _lowerBy = lowerBy;
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a thread of its own, <paramref name="lowerBy"/> nice steps below the others, until it
    /// completes; on the thread pool when <paramref name="lowerBy"/> is zero.
    /// </summary>
    public static async Task RunAsync(string name, int lowerBy, Func<Task> work)
    {
        if (lowerBy == 0)
        {
            await Task.Run(work, CancellationToken.None);
            return;
        }

        using var thread = new LowPriorityThread(name, lowerBy);
        await thread.RunAsync(work);
    }

    /// <summary>The nice value the thread runs at once started (0 where it was not changed: not Linux, or refused).</summary>
    public int Nice { get; private set; }

    /// <summary>Runs <paramref name="work"/> on this thread; completes as it does.</summary>
    public Task RunAsync(Func<Task> work)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(_ =>
        {
            Task running;
            try
            {
                running = work();
            }
            catch (Exception e)
            {
                done.SetException(e);
                return;
            }

            running.ContinueWith(t =>
            {
                if (t.IsCanceled) done.SetCanceled();
                else if (t.Exception is { } e) done.SetException(e.InnerExceptions);
                else done.SetResult();
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }, null);
        return done.Task;
    }

    public override void Post(SendOrPostCallback d, object? state)
    {
        if (!_posted.IsAddingCompleted)
        {
            try
            {
                _posted.Add((d, state));
                return;
            }
            catch (InvalidOperationException)
            {
                // Disposed meanwhile: run it on the pool below.
            }
        }

        ThreadPool.QueueUserWorkItem(s => d(s), state, preferLocal: false);
    }

    public override void Send(SendOrPostCallback d, object? state)
    {
        if (Environment.CurrentManagedThreadId == _thread.ManagedThreadId) d(state);
        else throw new NotSupportedException("synchronous sends to the low-priority thread");
    }

    public override SynchronizationContext CreateCopy() => this;

    public void Dispose() => _posted.CompleteAdding();

    private void Loop()
    {
        Nice = LowerPriority(_lowerBy);
        SetSynchronizationContext(this);
        foreach (var (callback, state) in _posted.GetConsumingEnumerable()) callback(state);
    }

    /// <summary>Lowers this thread's priority by <paramref name="lowerBy"/> nice steps (at most to 19); the nice value it has after.</summary>
    private static int LowerPriority(int lowerBy)
    {
        if (lowerBy <= 0 || !OperatingSystem.IsLinux()) return 0;
        try
        {
            // On Linux a nice value is a thread's own: PRIO_PROCESS with a thread id reads and sets only that thread's.
            var tid = GetTid();
            Marshal.SetLastPInvokeError(0);
            var current = GetPriority(0, tid);
            if (current == -1 && Marshal.GetLastPInvokeError() != 0) return 0;
            var lowered = Math.Min(19, current + lowerBy);
            return SetPriority(0, tid, lowered) == 0 ? lowered : current;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return 0;
        }
    }

    [DllImport("libc", EntryPoint = "getpriority", SetLastError = true)]
    private static extern int GetPriority(int which, int who);

    [DllImport("libc", EntryPoint = "setpriority")]
    private static extern int SetPriority(int which, int who, int priority);

    [DllImport("libc", EntryPoint = "gettid")]
    private static extern int GetTid();
}
