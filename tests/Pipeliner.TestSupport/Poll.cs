namespace Pipeliner.TestSupport;

/// <summary>
/// Waits for an asynchronous outcome by asking again until it holds or a deadline passes: never sleep-then-assert.
/// The default deadline is generous on purpose: the whole suite runs on 2 loaded cores, where a server start, a
/// container or a browser can take many times what it takes on a quiet machine.
/// </summary>
public static class Poll
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <returns>The first value <paramref name="done"/> accepts.</returns>
    /// <exception cref="TimeoutException">Nothing accepted within the deadline; names <paramref name="what"/> and the last value seen.</exception>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        var delay = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            var value = await probe();
            if (done(value)) return value;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"timed out after {timeout ?? DefaultTimeout} waiting for {what}; last seen: {Describe(value)}");
            await Task.Delay(delay);
            if (delay < TimeSpan.FromMilliseconds(250)) delay *= 2;
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds.</summary>
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        UntilAsync(() => Task.FromResult(condition()), done => done, what, timeout);

    private static string Describe<T>(T value) => value switch
    {
        null => "null",
        System.Text.Json.JsonElement json => json.GetRawText(),
        _ => System.Text.Json.JsonSerializer.Serialize(value, System.Text.Json.JsonSerializerOptions.Web),
    };
}
