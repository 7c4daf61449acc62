using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Pipeliner.Server.Tests.Support;

/// <summary>One request the forge received, as it came over the wire.</summary>
public sealed record ForgeRequest(string Method, string RawTarget, IReadOnlyDictionary<string, string> Headers, JsonElement Body, int Answer)
{
    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var value) ? value : null;

    /// <summary>The status context: GitHub and Gitea <c>context</c>, GitLab and Bitbucket <c>name</c>.</summary>
    public string Context => Body.TryGetProperty("context", out var context) ? context.GetString()! : Body.GetProperty("name").GetString()!;

    public string State => Body.GetProperty("state").GetString()!;

    public bool Accepted => Answer is >= 200 and < 300;
}

/// <summary>
/// A forge's API on 127.0.0.1 (Kestrel, a free port): records every request and answers what <see cref="Answer"/> says
/// (201 unless told otherwise).
/// </summary>
public sealed class RecordingForge : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ForgeRequest> _requests = new();

    private RecordingForge(WebApplication app) => _app = app;

    /// <summary>What to answer a request; called for each, in order of arrival.</summary>
    public Func<ForgeRequest, int> Answer { get; set; } = _ => StatusCodes.Status201Created;

    /// <summary>How long to wait before answering: a forge that hangs.</summary>
    public TimeSpan Delay { get; set; } = TimeSpan.Zero;

    public string Url { get; private set; } = "";

    public IReadOnlyList<ForgeRequest> Requests => _requests.ToArray();

    public static async Task<RecordingForge> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0").UseShutdownTimeout(TimeSpan.FromSeconds(1));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var forge = new RecordingForge(app);
        app.Run(forge.HandleAsync);
        await app.StartAsync();
        forge.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return forge;
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var document = await JsonDocument.ParseAsync(context.Request.Body);
        var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        var rawTarget = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        var request = new ForgeRequest(context.Request.Method, rawTarget, headers, document.RootElement.Clone(), 0);
        var answer = Answer(request);
        _requests.Enqueue(request with { Answer = answer });
        if (Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        context.Response.StatusCode = answer;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer < 300 ? """{"id": 1}""" : """{"message": "the forge is down"}""");
    }

    /// <summary>The requests of one context that the forge accepted, in order of arrival.</summary>
    public IReadOnlyList<ForgeRequest> Accepted(string context) => Requests.Where(r => r.Accepted && r.Context == context).ToList();

    public Task<IReadOnlyList<ForgeRequest>> WaitForAcceptedAsync(string context, string finalState) =>
        Poll.UntilAsync(() => Task.FromResult(Accepted(context)), accepted => accepted.Count > 0 && accepted[^1].State == finalState,
            $"the forge to accept state '{finalState}' for context '{context}'");

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
