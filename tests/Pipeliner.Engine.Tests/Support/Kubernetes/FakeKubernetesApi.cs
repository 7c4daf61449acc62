using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Pipeliner.Engine.Tests.Support.Kubernetes;

/// <summary>
/// A Kubernetes API server on 127.0.0.1 for the backend's tests, as the client library's own tests have: the real
/// REST paths and JSON of pods (create, get, list, watch, delete), pods/log (follow), pods/exec (the WebSocket
/// channel protocol) and secrets (create, merge patch, delete, delete collection), behind a bearer token. No
/// scheduler or kubelet: <see cref="Kubelet"/> plays the node for each created Pod (see <see cref="FakePod"/>).
/// </summary>
public sealed class FakeKubernetesApi : IAsyncDisposable
{
    public const string Token = "fake-cluster-token";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, FakePod> _pods = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, JsonObject> _secrets = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private long _version = 100;

    private FakeKubernetesApi(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    /// <summary>Runs for every Pod created through the API, as the node would; by default the Pod stays pending.</summary>
    public Func<FakePod, Task>? Kubelet { get; set; }

    /// <summary>Admission: a refusal (status code, message) for a Pod the cluster would not accept, e.g. over a quota.</summary>
    public Func<V1Pod, (HttpStatusCode Code, string Reason, string Message)?>? Admission { get; set; }

    /// <summary>Answers an exec into a container: its stdout, stderr and exit code.</summary>
    public Func<FakePod, string, IReadOnlyList<string>, Task<ExecResult>>? Exec { get; set; }

    public IReadOnlyCollection<RecordedRequest> Requests => _requests.ToArray();

    public IReadOnlyCollection<FakePod> Pods => _pods.Values.ToArray();

    public IReadOnlyDictionary<string, JsonObject> Secrets => _secrets.ToDictionary();

    public static async Task<FakeKubernetesApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var api = new FakeKubernetesApi(app);
        api.Map(app);
        await app.StartAsync();
        api.Address = new Uri(app.Urls.First());
        return api;
    }

    /// <summary>A client as the agent builds one, for this server.</summary>
    public KubernetesClientConfiguration Configuration() =>
        new() { Host = Address.ToString(), AccessToken = Token, HttpClientTimeout = Timeout.InfiniteTimeSpan };

    public FakePod Pod(string name) => _pods.TryGetValue(name, out var pod) ? pod : throw new InvalidOperationException($"no Pod {name}");

    /// <summary>A Pod that was there before the test (e.g. left by a crashed agent).</summary>
    public FakePod AddPod(V1Pod pod)
    {
        pod.Metadata.Uid ??= Guid.NewGuid().ToString();
        pod.Status ??= new V1PodStatus { Phase = "Running" };
        var fake = new FakePod(pod, JsonNode.Parse(KubernetesJson.Serialize(pod))!, NextVersion);
        _pods[pod.Metadata.Name] = fake;
        return fake;
    }

    public void AddSecret(V1Secret secret) => _secrets[secret.Metadata.Name] = JsonNode.Parse(KubernetesJson.Serialize(secret))!.AsObject();

    /// <summary>The Pod the next create makes, once it is made.</summary>
    public async Task<FakePod> NextPodAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (_pods.IsEmpty) await Task.Delay(20, cancel.Token);
        return _pods.Values.First();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var pod in _pods.Values) pod.Delete();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private long NextVersion() => Interlocked.Increment(ref _version);

    private void Map(WebApplication app)
    {
        app.UseWebSockets();
        app.Use(async (context, next) =>
        {
            context.Request.EnableBuffering();
            var body = await new StreamReader(context.Request.Body, Encoding.UTF8, leaveOpen: true).ReadToEndAsync();
            context.Request.Body.Position = 0;
            _requests.Enqueue(new RecordedRequest(context.Request.Method, context.Request.Path + context.Request.QueryString, body));
            if (context.Request.Headers.Authorization != $"Bearer {Token}")
            {
                await Status(context, HttpStatusCode.Unauthorized, "Unauthorized", "Unauthorized");
                return;
            }

            await next(context);
        });

        const string pods = "/api/v1/namespaces/{ns}/pods";
        app.MapPost(pods, CreatePodAsync);
        app.MapGet(pods, ListPodsAsync);
        app.MapGet(pods + "/{name}", (HttpContext c, string name) => WithPod(c, name, pod => Json(c, HttpStatusCode.OK, pod.Json())));
        app.MapDelete(pods + "/{name}", (HttpContext c, string name) => WithPod(c, name, pod =>
        {
            _pods.TryRemove(name, out _);
            pod.Delete();
            return Json(c, HttpStatusCode.OK, pod.Json());
        }));
        app.MapGet(pods + "/{name}/log", (HttpContext c, string name) => WithPod(c, name, async pod =>
        {
            c.Response.ContentType = "text/plain";
            await pod.LogOf(c.Request.Query["container"].ToString()).CopyToAsync(c.Response.Body, c.Request.Query["follow"] == "true", c.RequestAborted);
        }));
        app.MapGet(pods + "/{name}/exec", (HttpContext c, string name) => WithPod(c, name, pod => ExecAsync(c, pod)));

        const string secrets = "/api/v1/namespaces/{ns}/secrets";
        app.MapPost(secrets, async (HttpContext c) =>
        {
            var secret = JsonNode.Parse(await new StreamReader(c.Request.Body).ReadToEndAsync())!.AsObject();
            _secrets[secret["metadata"]!["name"]!.GetValue<string>()] = secret;
            await Json(c, HttpStatusCode.Created, secret.ToJsonString());
        });
        app.MapMethods(secrets + "/{name}", ["PATCH"], async (HttpContext c, string name) =>
        {
            if (!_secrets.TryGetValue(name, out var secret))
            {
                await Status(c, HttpStatusCode.NotFound, "NotFound", $"secrets \"{name}\" not found");
                return;
            }

            var patch = JsonNode.Parse(await new StreamReader(c.Request.Body).ReadToEndAsync())!.AsObject();
            foreach (var (key, value) in patch["metadata"]!.AsObject()) secret["metadata"]![key] = value?.DeepClone();
            await Json(c, HttpStatusCode.OK, secret.ToJsonString());
        });
        app.MapDelete(secrets + "/{name}", async (HttpContext c, string name) =>
        {
            if (_secrets.TryRemove(name, out var secret)) await Json(c, HttpStatusCode.OK, secret.ToJsonString());
            else await Status(c, HttpStatusCode.NotFound, "NotFound", $"secrets \"{name}\" not found");
        });
        app.MapDelete(secrets, async (HttpContext c) =>
        {
            var selector = c.Request.Query["labelSelector"].ToString();
            var deleted = _secrets.Where(s => LabelSelector.Matches(selector, Labels(s.Value))).Select(s => s.Key).ToList();
            foreach (var name in deleted) _secrets.TryRemove(name, out _);
            await Json(c, HttpStatusCode.OK, """{"kind":"SecretList","apiVersion":"v1","metadata":{},"items":[]}""");
        });
    }

    private async Task CreatePodAsync(HttpContext context)
    {
        var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
        var pod = KubernetesJson.Deserialize<V1Pod>(body);
        if (_pods.ContainsKey(pod.Metadata.Name))
        {
            await Status(context, HttpStatusCode.Conflict, "AlreadyExists", $"pods \"{pod.Metadata.Name}\" already exists");
            return;
        }

        if (Admission?.Invoke(pod) is { } refusal)
        {
            await Status(context, refusal.Code, refusal.Reason, refusal.Message);
            return;
        }

        pod.Metadata.Uid = Guid.NewGuid().ToString();
        pod.Metadata.CreationTimestamp = DateTime.UtcNow;
        pod.Status = new V1PodStatus
        {
            Phase = "Pending",
            ContainerStatuses = pod.Spec.Containers
                .Select(c => new V1ContainerStatus { Name = c.Name, Image = c.Image, State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "PodInitializing" } } })
                .ToList(),
        };
        var fake = new FakePod(pod, JsonNode.Parse(body)!, NextVersion);
        _pods[pod.Metadata.Name] = fake;
        await Json(context, HttpStatusCode.Created, fake.Json());
        if (Kubelet is { } kubelet) _ = Task.Run(() => kubelet(fake));
    }

    private async Task ListPodsAsync(HttpContext context)
    {
        var query = context.Request.Query;
        if (query["watch"] == "true" || query["watch"] == "1")
        {
            var name = query["fieldSelector"].ToString().Replace("metadata.name=", "", StringComparison.Ordinal);
            if (!_pods.TryGetValue(name, out var pod))
            {
                await Status(context, HttpStatusCode.BadRequest, "BadRequest", "this fake watches one Pod by metadata.name only");
                return;
            }

            var from = long.TryParse(query["resourceVersion"], out var version) ? version : (long?)null;
            context.Response.ContentType = "application/json";
            await context.Response.StartAsync(context.RequestAborted);
            try
            {
                await foreach (var line in pod.Watch(from).ReadAllAsync(context.RequestAborted))
                {
                    await context.Response.WriteAsync(line, context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                }
            }
            catch (OperationCanceledException)
            {
                // The client stopped watching.
            }

            return;
        }

        var selector = query["labelSelector"].ToString();
        var items = _pods.Values.Where(p => LabelSelector.Matches(selector, p.Current.Metadata.Labels)).Select(p => p.Json());
        await Json(context, HttpStatusCode.OK, $$"""{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"{{_version}}"},"items":[{{string.Join(',', items)}}]}""");
    }

    private async Task ExecAsync(HttpContext context, FakePod pod)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await Status(context, HttpStatusCode.BadRequest, "BadRequest", "exec needs a WebSocket upgrade");
            return;
        }

        var container = context.Request.Query["container"].ToString();
        var command = context.Request.Query["command"].Select(c => c ?? "").ToList();
        var result = Exec is { } exec ? await exec(pod, container, command) : new ExecResult([], "no exec handler\n"u8.ToArray(), 126);
        await ExecChannels.AnswerAsync(context, result);
    }

    private Task WithPod(HttpContext context, string name, Func<FakePod, Task> action) =>
        _pods.TryGetValue(name, out var pod)
            ? action(pod)
            : Status(context, HttpStatusCode.NotFound, "NotFound", $"pods \"{name}\" not found");

    private static IDictionary<string, string>? Labels(JsonObject item) =>
        item["metadata"]?["labels"]?.AsObject().ToDictionary(l => l.Key, l => l.Value!.GetValue<string>());

    private static async Task Json(HttpContext context, HttpStatusCode code, string json)
    {
        context.Response.StatusCode = (int)code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(json);
    }

    private static Task Status(HttpContext context, HttpStatusCode code, string reason, string message) =>
        Json(context, code, new JsonObject
        {
            ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Failure",
            ["message"] = message, ["reason"] = reason, ["code"] = (int)code,
        }.ToJsonString());
}

/// <summary>One request as the fake received it.</summary>
public sealed record RecordedRequest(string Method, string PathAndQuery, string Body);

/// <summary>What an exec into a container answers.</summary>
public sealed record ExecResult(byte[] Stdout, byte[] Stderr, int ExitCode);
