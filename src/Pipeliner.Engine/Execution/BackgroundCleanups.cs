using System.Collections.Concurrent;
using Pipeliner.Engine.Logging;

namespace Pipeliner.Engine.Execution;

/// <summary>
/// Takes the removal of an attempt's containers and workspace off its job slot, on every backend: <see cref="RunAsync"/>
/// returns the report once the job's outcome is known and its log complete (the runner's <c>onOutcome</c>), and the
/// clean-up goes on behind while the slot reports the job done and claims the next one. Room is bounded: an attempt holds
/// a place from before its claim to the end of its clean-up, so with <c>limit</c> = twice the slots at most one clean-up
/// per slot is behind it, and a slot whose earlier clean-up has not ended waits in <see cref="ReserveAsync"/>.
/// A clean-up that fails after the report goes to <c>onFailure</c>, and the report stands (what it left behind is removed
/// with the orphans at the next start); an attempt that fails before its outcome throws, its clean-up done, as before.
/// </summary>
public sealed class BackgroundCleanups(int limit, Action<JobAssignment, Exception> onFailure)
{
    private readonly SemaphoreSlim _room = new(limit, limit);
    private readonly ConcurrentDictionary<Task, bool> _behind = new();

    /// <summary>The clean-ups still going on.</summary>
    public int Pending => _behind.Count;

    /// <summary>A place for the next attempt, taken before claiming it; disposed unused when no job came.</summary>
    public async Task<IDisposable> ReserveAsync(CancellationToken cancellationToken)
    {
        await _room.WaitAsync(cancellationToken);
        return new Place(_room);
    }

    /// <summary>Runs the attempt in <paramref name="place"/> (given up to it) and returns its report as soon as it is known.</summary>
    public async Task<JobAttemptReport> RunAsync(
        IDisposable place, JobRunner runner, JobAssignment assignment, Action<LogLine>? onLine, CancellationToken cancellationToken)
    {
        var reported = new TaskCompletionSource<JobAttemptReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<JobAttemptReport> attempt;
        try
        {
            attempt = runner.RunAsync(assignment, onLine, cancellationToken, report => reported.TrySetResult(report));
        }
        catch
        {
            place.Dispose();
            throw;
        }

        var cleanup = FinishAsync(attempt, reported.Task, place, assignment);
        _behind[cleanup] = true;
        _ = cleanup.ContinueWith(done => _behind.TryRemove(done, out _), CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        await Task.WhenAny(reported.Task, attempt);
        // Ended before its outcome was known (an infrastructure fault, a stop): thrown, its clean-up already done.
        return reported.Task.IsCompleted ? reported.Task.Result : await attempt;
    }

    /// <summary>Waits for every clean-up behind the slots (a stopping agent leaves no containers).</summary>
    public Task DrainAsync() => Task.WhenAll(_behind.Keys);

    private async Task FinishAsync(Task<JobAttemptReport> attempt, Task<JobAttemptReport> reported, IDisposable place, JobAssignment assignment)
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
            place.Dispose();
        }
    }

    private sealed class Place(SemaphoreSlim room) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) room.Release();
        }
    }
}
