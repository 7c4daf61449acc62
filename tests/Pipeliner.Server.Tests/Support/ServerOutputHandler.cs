namespace Pipeliner.Server.Tests.Support;

/// <summary>
/// Tags each request of a <see cref="ServerProcess"/>'s client with what that server printed, so that a test's failure
/// on an unexpected answer (<see cref="Api.ExpectAsync"/>) carries the server's own account of it: a 500's exception is
/// in the server's log, never in its answer.
/// </summary>
public sealed class ServerOutputHandler(Func<string> output) : DelegatingHandler
{
    public static readonly HttpRequestOptionsKey<Func<string>> Key = new("Pipeliner.Tests.ServerOutput");

    /// <summary>The end of the output: where the failed request's lines are.</summary>
    private const int ShownChars = 12_000;

    /// <summary>What the server that answered <paramref name="response"/> printed (its end), or "" for another server.</summary>
    public static string OutputOf(HttpResponseMessage response)
    {
        if (response.RequestMessage?.Options.TryGetValue(Key, out var read) != true || read is null) return "";
        var text = read();
        return text.Length <= ShownChars ? text : "…" + text[^ShownChars..];
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Options.Set(Key, output);
        return base.SendAsync(request, cancellationToken);
    }
}
