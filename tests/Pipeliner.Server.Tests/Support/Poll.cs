namespace Pipeliner.Server.Tests.Support;

/// <summary>Waits for an asynchronous outcome by asking again until it holds or a deadline passes: never sleep-then-assert.</summary>
internal static class Poll
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <returns>The first value <paramref name="done"/> accepts.</returns>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        var delay = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            var value = await probe();
            if (done(value)) return value;
            if (DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException($"timed out after {timeout ?? DefaultTimeout} waiting for {what}; last seen: {Describe(value)}");
            await Task.Delay(delay);
            if (delay < TimeSpan.FromMilliseconds(250)) delay *= 2;
        }
    }

    private static string Describe<T>(T value) => value switch
    {
        null => "null",
        System.Text.Json.JsonElement json => json.GetRawText(),
        _ => System.Text.Json.JsonSerializer.Serialize(value, System.Text.Json.JsonSerializerOptions.Web),
    };
}
