using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Pipeliner.Agent.Contracts;

namespace Pipeliner.Cli.Agent;

/// <summary>A call the server refused for good (4xx other than the ones the caller handles): retrying cannot help.</summary>
internal sealed class AgentRefusedException(HttpStatusCode status, string message, string? detail = null) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;

    /// <summary>The server's own words (its problem's detail).</summary>
    public string Detail { get; } = detail ?? message;
}

/// <summary>
/// The agent's side of the HTTP protocol (<see cref="AgentRoutes"/>): one method per call, JSON as the contracts define
/// it. Network errors and 5xx answers throw <see cref="HttpRequestException"/> (the caller retries); a refusal throws
/// <see cref="AgentRefusedException"/> with the server's words.
/// </summary>
internal sealed class AgentClient(HttpClient http)
{
    /// <summary>The agent's own credential, once registered.</summary>
    public string? Credential { get; set; }

    public Uri Server => http.BaseAddress!;

    public async Task<RegisterAgentResponse> RegisterAsync(string registrationToken, RegisterAgentRequest request, CancellationToken cancellationToken)
    {
        return await NetworkAsync(async () =>
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, AgentRoutes.Register) { Content = JsonContent.Create(request, options: AgentJson.Options) };
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", registrationToken);
            using var response = await http.SendAsync(message, cancellationToken);
            return await ReadAsync<RegisterAgentResponse>(response, cancellationToken);
        });
    }

    public async Task<AgentWelcome> HelloAsync(AgentHello hello, CancellationToken cancellationToken)
    {
        return await NetworkAsync(async () =>
        {
            using var response = await SendAsync(HttpMethod.Post, AgentRoutes.Hello, JsonContent.Create(hello, options: AgentJson.Options), cancellationToken);
            return await ReadAsync<AgentWelcome>(response, cancellationToken);
        });
    }

    /// <summary>The next job, or null when the server had none within the wait.</summary>
    public async Task<AgentAssignment?> NextAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        return await NetworkAsync(async () =>
        {
            using var response = await SendAsync(HttpMethod.Post, $"{AgentRoutes.Next}?wait={(int)wait.TotalSeconds}", null, cancellationToken);
            if (response.StatusCode == HttpStatusCode.NoContent) return null;
            return await ReadAsync<AgentAssignment>(response, cancellationToken);
        });
    }

    public async Task<HeartbeatAnswer> HeartbeatAsync(long attemptId, CancellationToken cancellationToken)
    {
        return await NetworkAsync(async () =>
        {
            using var response = await SendAsync(HttpMethod.Post, AgentRoutes.Heartbeat(attemptId), null, cancellationToken);
            return await ReadAsync<HeartbeatAnswer>(response, cancellationToken);
        });
    }

    public async Task<long> LogLengthAsync(long attemptId, CancellationToken cancellationToken)
    {
        return await NetworkAsync(async () =>
        {
            using var response = await SendAsync(HttpMethod.Get, AgentRoutes.Log(attemptId), null, cancellationToken);
            return (await ReadAsync<LogPosition>(response, cancellationToken)).Length;
        });
    }

    /// <summary>Appends at <paramref name="offset"/>; answers the server's length (which differs when it had another offset).</summary>
    public async Task<long> AppendLogAsync(long attemptId, long offset, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        return await NetworkAsync(async () =>
        {
            var content = new ReadOnlyMemoryContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            using var response = await SendAsync(HttpMethod.Post, $"{AgentRoutes.Log(attemptId)}?offset={offset}", content, cancellationToken);
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
                return (await response.Content.ReadFromJsonAsync<LogPosition>(AgentJson.Options, cancellationToken))!.Length;
            return (await ReadAsync<LogPosition>(response, cancellationToken)).Length;
        });
    }

    /// <summary>The end of the attempt; 422 (the server lacks part of the log or an upload) throws <see cref="AgentRefusedException"/>.</summary>
    public async Task<DoneAnswer> DoneAsync(long attemptId, AttemptDone done, CancellationToken cancellationToken)
    {
        return await NetworkAsync(async () =>
        {
            using var response = await SendAsync(HttpMethod.Post, AgentRoutes.Done(attemptId), JsonContent.Create(done, options: AgentJson.Options), cancellationToken);
            return await ReadAsync<DoneAnswer>(response, cancellationToken);
        });
    }

    /// <summary>Downloads a file of the attempt (source, artifact, cache) with the attempt's credential into <paramref name="target"/>.</summary>
    public async Task DownloadAsync(string url, string attemptCredential, string target, CancellationToken cancellationToken)
    {
        await NetworkAsync(async () =>
        {
            using var message = new HttpRequestMessage(HttpMethod.Get, url);
            message.Headers.Add(AgentRoutes.AttemptCredentialHeader, attemptCredential);
            using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            await EnsureAsync(response, cancellationToken);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            await using var file = File.Create(target);
            await response.Content.CopyToAsync(file, cancellationToken);
            return true;
        });
    }

    /// <summary>
    /// Opens a file of the attempt (source, artifact, cache) with the attempt's credential and gives its body to
    /// <paramref name="read"/> as it arrives (nothing is buffered here).
    /// </summary>
    public async Task ReceiveAsync(string url, string attemptCredential, Func<Stream, Task> read, CancellationToken cancellationToken)
    {
        await NetworkAsync(async () =>
        {
            using var message = new HttpRequestMessage(HttpMethod.Get, url);
            message.Headers.Add(AgentRoutes.AttemptCredentialHeader, attemptCredential);
            using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            await EnsureAsync(response, cancellationToken);
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            await read(body);
            return true;
        });
    }

    public async Task UploadAsync(string url, string attemptCredential, string file, string sha256, CancellationToken cancellationToken)
    {
        // Opened outside: a file the agent cannot read is its own fault, not the network's.
        await using var stream = File.OpenRead(file);
        await NetworkAsync(async () =>
        {
            stream.Position = 0;
            using var message = new HttpRequestMessage(HttpMethod.Put, url) { Content = new StreamContent(stream) };
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
            message.Content.Headers.ContentLength = stream.Length;
            message.Headers.Add(AgentRoutes.AttemptCredentialHeader, attemptCredential);
            message.Headers.Add(AgentRoutes.Sha256Header, sha256);
            using var response = await http.SendAsync(message, cancellationToken);
            await EnsureAsync(response, cancellationToken);
            return true;
        });
    }

    /// <summary>
    /// The contract above: a network error — however the runtime words it (a reset while sending or reading,
    /// "transport endpoint is not connected") — is an <see cref="HttpRequestException"/>, which callers retry.
    /// </summary>
    private static async Task<T> NetworkAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            throw new HttpRequestException($"network error: {e.Message}", e);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, HttpContent? content, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(method, url) { Content = content };
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Credential);
        return await http.SendAsync(message, cancellationToken);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await EnsureAsync(response, cancellationToken);
        return await response.Content.ReadFromJsonAsync<T>(AgentJson.Options, cancellationToken)
               ?? throw new HttpRequestException($"the server answered {(int)response.StatusCode} without a body");
    }

    private static async Task EnsureAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode) return;
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var detail = ProblemDetail(body);
        if ((int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.RequestTimeout)
            throw new HttpRequestException($"the server answered {(int)response.StatusCode}: {detail}", null, response.StatusCode);
        throw new AgentRefusedException(response.StatusCode, $"the server refused ({(int)response.StatusCode}): {detail}", detail);
    }

    private static string ProblemDetail(string body)
    {
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(body);
            if (json.RootElement.TryGetProperty("detail", out var detail)) return detail.GetString() ?? body;
            if (json.RootElement.TryGetProperty("errors", out var errors)) return errors.ToString();
        }
        catch (System.Text.Json.JsonException)
        {
            // Not a problem document: the body as it came.
        }

        return body.Length > 300 ? body[..300] : body;
    }
}
