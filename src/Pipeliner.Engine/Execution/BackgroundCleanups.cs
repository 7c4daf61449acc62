using System.Collections.Concurrent;
using Pipeliner.Engine.Logging;

namespace Pipeliner.Engine.Execution;

/// <summary>
/// Takes the removal of an attempt's containers and workspace off its job slot, on every backend: <see cref="RunAsync"/>
/// returns the report once the job's outcome is known and its log complete (the runner's <c>onOutcome</c>), and the
/// clean-up goes on behind while the slot reports the job done and claims the next one. Room is bounded: an attempt holds
/// a place from before its claim to the end of its clean-up, so with <c>limit</c> = twice the slots at most one clean-up
/// per slot is behind it, and a slot whose earlier clean-up has not ended waits in <see cref="ReserveAsync"/>. The place is a
/// <see cref="CleanupPlace"/> the caller holds with <c>using</c>: given up when the caller's scope ends without an attempt
/// (no job came, the claim or the fetch failed), taken over by <see cref="RunAsync"/> and given up when the clean-up ends.
/// A clean-up that fails after the report goes to <c>onFailure</c>, and the report stands (what it left behind is removed
/// with the orphans at the next start); an attempt that fails before its outcome throws, its clean-up done, as before.
/// </summary>
public sealed class BackgroundCleanups(int limit, Action<JobAssignment, Exception> onFailure)
{
    private readonly SemaphoreSlim _room = new(limit, limit);
    private readonly ConcurrentDictionary<Task, bool> _behind = new();
    private int _pending;

    /// <summary>
    /// The clean-ups still going on: counted down inside each clean-up, so that it is 0 once <see cref="DrainAsync"/> has
    /// returned (the removal from the tracked set is a continuation, which may run after the drain's waiter).
    /// </summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>A place for the next attempt, taken before claiming it (hold it with <c>using</c>).</summary>
    public async Task<CleanupPlace> ReserveAsync(CancellationToken cancellationToken)
    {
        await _room.WaitAsync(cancellationToken);
        return new CleanupPlace(_room);
    }

    /// <summary>
    /// A place for the next attempt if one is free now, else null: for a slot that asks for its next job with the end of
    /// the last one (and polls as usual, waiting in <see cref="ReserveAsync"/>, when none is free).
    /// </summary>
    public CleanupPlace? TryReserve() => _room.Wait(0) ? new CleanupPlace(_room) : null;

    /// <summary>
    /// Runs the attempt in <paramref name="place"/>, which it takes over (the caller's disposal does nothing after), and
    /// returns its report as soon as it is known.
    /// </summary>
    public async Task<JobAttemptReport> RunAsync(
        CleanupPlace place, JobRunner runner, JobAssignment assignment, Action<LogLine>? onLine, CancellationToken cancellationToken)
    {
        var owned = place.HandOver();
        var reported = new TaskCompletionSource<JobAttemptReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<JobAttemptReport> attempt;
        try
        {
            attempt = runner.RunAsync(assignment, onLine, cancellationToken, report => reported.TrySetResult(report));
        }
        catch
        {
            owned.Dispose();
            throw;
        }

        Interlocked.Increment(ref _pending);
        var cleanup = FinishAsync(attempt, reported.Task, owned, assignment);
        _behind[cleanup] = true;
        _ = cleanup.ContinueWith(done => _behind.TryRemove(done, out _), CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        await Task.WhenAny(reported.Task, attempt);
        // Ended before its outcome was known (an infrastructure fault, a stop): thrown, its clean-up already done.
        return reported.Task.IsCompleted ? reported.Task.Result : await attempt;
    }

    /// <summary>Waits for every clean-up behind the slots (a stopping agent leaves no containers).</summary>
    public Task DrainAsync() => Task.WhenAll(_behind.Keys);

    private async Task FinishAsync(Task<JobAttemptReport> attempt, Task<JobAttemptReport> reported, CleanupPlace place, JobAssignment assignment)
    {
        try
        {
            await attempt;
        }
        catch (Exception e) when (reported.IsCompleted)
        {
            onFailure(assignment, e);
        }
        catch
        {
            // Before the outcome: the caller of RunAsync gets it.
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
            place.Dispose();
        }
    }
}

/// <summary>
/// A place in <see cref="BackgroundCleanups"/>: given up by <see cref="Dispose"/> unless handed over first (to
/// <see cref="BackgroundCleanups.RunAsync"/>, or to whoever goes on with the claimed job in a task of its own), after which
/// the disposal of this one does nothing and the new holder gives it up.
/// </summary>
public sealed class CleanupPlace : IDisposable
{
    private SemaphoreSlim? _room;

    internal CleanupPlace(SemaphoreSlim room) => _room = room;

    /// <summary>The same place held by a new object; this one no longer holds it.</summary>
    public CleanupPlace HandOver() =>
        new(Interlocked.Exchange(ref _room, null) ?? throw new ObjectDisposedException(nameof(CleanupPlace), "the place was given up or handed over"));

    public void Dispose() => Interlocked.Exchange(ref _room, null)?.Release();
}
