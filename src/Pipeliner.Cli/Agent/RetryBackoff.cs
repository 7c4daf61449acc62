namespace Pipeliner.Cli.Agent;

/// <summary>
/// How long the agent waits before it tries the server again after a failed call (a claim, its registration, a log batch,
/// the end of an attempt): from a first delay, doubling up to <see cref="Max"/> (<c>--max-retry-delay</c>).
/// </summary>
internal sealed record RetryBackoff(TimeSpan Max)
{
    public static readonly TimeSpan DefaultMax = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan SmallestMax = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan LargestMax = TimeSpan.FromMinutes(5);

    public static readonly RetryBackoff Default = new(DefaultMax);

    /// <summary>The first delay, no longer than the largest.</summary>
    public TimeSpan First(TimeSpan initial) => initial < Max ? initial : Max;

    /// <summary>The delay after <paramref name="delay"/>: twice as long, no longer than the largest.</summary>
    public TimeSpan Next(TimeSpan delay) => TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, Max.Ticks));
}
