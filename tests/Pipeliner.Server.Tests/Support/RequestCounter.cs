namespace Pipeliner.Server.Tests.Support;

/// <summary>Counts the requests a client sent and the 5xx answers it got: the "inputs tried" and "5xx" of a robustness figure.</summary>
internal sealed class RequestCounter : DelegatingHandler
{
    private int _requests;
    private int _serverErrors;

    public RequestCounter() : base(new HttpClientHandler()) { }

    public int Requests => Volatile.Read(ref _requests);

    public int ServerErrors => Volatile.Read(ref _serverErrors);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _requests);
        var response = await base.SendAsync(request, cancellationToken);
        if ((int)response.StatusCode >= 500) Interlocked.Increment(ref _serverErrors);
        return response;
    }
}
