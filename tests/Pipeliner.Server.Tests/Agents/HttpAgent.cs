using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Pipeliner.Agent.Contracts;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Agents;

/// <summary>A test playing a remote agent over HTTP, call by call, to send what a real agent would not.</summary>
internal sealed class HttpAgent(HttpClient http, string name, string credential)
{
    public string Name => name;

    public string Credential => credential;

    public static async Task<string> RegistrationTokenAsync(HttpClient admin)
    {
        using var response = await admin.PostAsJsonAsync("/api/agents/tokens", new { name = "tests" });
        await Api.ExpectAsync(response, HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
    }

    public static async Task<HttpResponseMessage> RegisterAsync(HttpClient http, string token, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, AgentRoutes.Register) { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request);
    }

    public static async Task<HttpAgent> RegisterAsync(HttpClient http, HttpClient admin, string name, params string[] labels)
    {
        using var response = await RegisterAsync(http, await RegistrationTokenAsync(admin), new { name, labels, capacity = 2, version = "test" });
        await Api.ExpectAsync(response, HttpStatusCode.Created);
        var registered = (await response.Content.ReadFromJsonAsync<RegisterAgentResponse>(AgentJson.Options))!;
        var agent = new HttpAgent(http, name, registered.Credential);
        using var hello = await agent.SendAsync(HttpMethod.Post, AgentRoutes.Hello, JsonContent.Create(new AgentHello(labels, 2, "test")));
        await Api.ExpectAsync(hello, HttpStatusCode.OK);
        return agent;
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, HttpContent? content = null, string? token = null)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? credential);
        return await http.SendAsync(request);
    }

    /// <summary>Claims the next job (the tests give their jobs labels of their own, so it is theirs).</summary>
    public async Task<AgentAssignment> NextAsync()
    {
        using var response = await SendAsync(HttpMethod.Post, $"{AgentRoutes.Next}?wait=10");
        await Api.ExpectAsync(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<AgentAssignment>(AgentJson.Options))!;
    }

    public Task<HttpResponseMessage> AppendLogAsync(long attemptId, long offset, string text) =>
        SendAsync(HttpMethod.Post, $"{AgentRoutes.Log(attemptId)}?offset={offset}", new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(text)));

    public Task<HttpResponseMessage> DoneAsync(long attemptId, object done) => SendAsync(HttpMethod.Post, AgentRoutes.Done(attemptId), JsonContent.Create(done));

    /// <summary>Extends the attempt's lease every 200 ms until disposed, as a real agent's heartbeat timer does.</summary>
    public IAsyncDisposable KeepAlive(long attemptId) => new Heartbeat(this, attemptId);

    private sealed class Heartbeat : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public Heartbeat(HttpAgent agent, long attemptId)
        {
            _loop = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    (await agent.SendAsync(HttpMethod.Post, AgentRoutes.Heartbeat(attemptId))).Dispose();
                    try
                    {
                        await Task.Delay(200, _stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            });
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            _stop.Dispose();
        }
    }

    public static object Succeeded(long logLength) => new
    {
        status = "succeeded", exitCode = 0, logLength, logSha256 = new string('0', 64), artifacts = Array.Empty<object>(), cache = Array.Empty<object>(),
    };

    /// <summary>An end that asks for the slot's next job (<see cref="AttemptDone.WantsNext"/>).</summary>
    public static object SucceededWantingNext(long logLength) => new
    {
        status = "succeeded", exitCode = 0, logLength, logSha256 = new string('0', 64), artifacts = Array.Empty<object>(), cache = Array.Empty<object>(),
        wantsNext = true,
    };
}
