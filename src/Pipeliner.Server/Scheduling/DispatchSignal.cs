namespace Pipeliner.Server.Scheduling;

/// <summary>
/// Wakes whoever waits for it: the agents in a long poll when jobs become ready (the registered instance), and the idle
/// webhook pick-up when a delivery is queued (<c>DeliveryQueue</c>'s own).
/// </summary>
public sealed class DispatchSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Completes at the next <see cref="Notify"/>. Take it before looking for work and wait on it after finding none:
    /// a notification that comes while looking is then not missed.
    /// </summary>
    public Task Next => Volatile.Read(ref _next).Task;

    public void Notify() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Completes when <paramref name="next"/> (from <see cref="Next"/>) does, or after <paramref name="timeout"/>.</summary>
    public static async Task WaitAsync(Task next, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Task.WhenAny rather than next.WaitAsync(timeout): a timeout is the idle case, and an exception for it woke every
        // embedded agent's worker with a throw every few seconds.
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(timeout, timer.Token);
        await Task.WhenAny(next, delay);
        timer.Cancel();
        cancellationToken.ThrowIfCancellationRequested();
    }
}
