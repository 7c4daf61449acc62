namespace Pipeliner.Server.Data.Providers;

/// <summary>
/// One writer at a time, in the process, with two kinds of waiters: <b>urgent</b> ones (a client waits for the answer)
/// are let in before <b>background</b> ones, except that after <see cref="UrgentInARow"/> urgent turns in a row a waiting
/// background writer has its turn, so a flood of requests cannot hold the background back for ever. A waiter is woken
/// the moment the writer before it leaves (nothing polls), and waits without holding a thread when it waits
/// asynchronously. Used by <see cref="SqliteWriteGate"/> in front of SQLite's one write lock.
/// </summary>
public sealed class WriteTurns
{
    /// <summary>How many urgent writers in a row may go ahead of a waiting background one.</summary>
    public const int UrgentInARow = 8;

    private readonly object _sync = new();
    private readonly LinkedList<Waiter> _urgent = new();
    private readonly LinkedList<Waiter> _background = new();
    private bool _taken;
    private int _urgentInARow;

    /// <summary>Whether a writer has the turn now.</summary>
    public bool IsTaken
    {
        get
        {
            lock (_sync) return _taken;
        }
    }

    /// <summary>Waiters by kind, for diagnostics and tests.</summary>
    public (int Urgent, int Background) Waiting
    {
        get
        {
            lock (_sync) return (_urgent.Count, _background.Count);
        }
    }

    /// <summary>
    /// Waits for the turn, at most <paramref name="patience"/>: true when it was given (leave it with <see cref="Leave"/>),
    /// false when the patience ran out first (the caller goes on without it, as it did before there were turns).
    /// </summary>
    public async ValueTask<bool> EnterAsync(bool urgent, TimeSpan patience, CancellationToken cancellationToken)
    {
        if (TakeOrQueue(urgent) is not { } waiter) return true;
        try
        {
            await waiter.Granted.Task.WaitAsync(patience, cancellationToken);
            return true;
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            if (!Withdraw(waiter)) // given the turn meanwhile
            {
                if (e is TimeoutException) return true;
                Leave();
            }

            if (e is TimeoutException) return false;
            throw;
        }
    }

    /// <summary>As <see cref="EnterAsync"/>, blocking the calling thread (for EF Core's synchronous calls).</summary>
    public bool Enter(bool urgent, TimeSpan patience)
    {
        if (TakeOrQueue(urgent) is not { } waiter) return true;
        return waiter.Granted.Task.Wait(patience) || !Withdraw(waiter);
    }

    /// <summary>Takes the turn when it is free (null), or queues a waiter for it.</summary>
    private Waiter? TakeOrQueue(bool urgent)
    {
        lock (_sync)
        {
            if (_taken) return Enqueue(urgent);
            _taken = true;
            return null;
        }
    }

    /// <summary>Gives the turn to the next waiter (urgent first, see <see cref="UrgentInARow"/>), or frees it.</summary>
    public void Leave()
    {
        Waiter next;
        lock (_sync)
        {
            var list = _urgent.Count > 0 && (_background.Count == 0 || _urgentInARow < UrgentInARow) ? _urgent
                : _background.Count > 0 ? _background : null;
            if (list is null)
            {
                _taken = false;
                _urgentInARow = 0;
                return;
            }

            next = list.First!.Value;
            list.RemoveFirst();
            next.Node = null;
            _urgentInARow = list == _urgent ? _urgentInARow + 1 : 0;
        }

        // Continues on the thread pool, not inline on the leaving writer's thread (which answers its own client next).
        next.Granted.TrySetResult();
    }

    private Waiter Enqueue(bool urgent)
    {
        var waiter = new Waiter();
        waiter.Node = (urgent ? _urgent : _background).AddLast(waiter);
        return waiter;
    }

    /// <summary>Takes a waiter out of its queue; false when it was given the turn already (it holds it now).</summary>
    private bool Withdraw(Waiter waiter)
    {
        lock (_sync)
        {
            if (waiter.Node is not { } node) return false;
            node.List!.Remove(node);
            waiter.Node = null;
            return true;
        }
    }

    private sealed class Waiter
    {
        public readonly TaskCompletionSource Granted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public LinkedListNode<Waiter>? Node;
    }
}
