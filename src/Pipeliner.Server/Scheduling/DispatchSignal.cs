namespace Pipeliner.Server.Scheduling;

/// <summary>Wakes agents waiting in a long poll when jobs become ready.</summary>
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
        try
        {
            await next.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            // Nothing became ready in time: the caller looks again anyway.
        }
    }
}
