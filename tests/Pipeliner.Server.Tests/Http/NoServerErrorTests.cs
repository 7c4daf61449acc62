using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Http;

/// <summary>
/// "Never a 500 for any input": garbage route values, query strings, headers and bodies sent to every mapped
/// endpoint (read from the server's routing, so new endpoints are covered without touching this test).
/// </summary>
public class NoServerErrorTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    private const int RequestsPerEndpoint = 40;

    private static readonly string[] Texts =
    [
        "", " ", "x", "-1", "0", "1", "9223372036854775807", "99999999999999999999999", "1e308", "NaN", "null", "true",
        "..", "../../etc/passwd", "a/b", "%2e%2e%2f", "%", "%zz", "ünïcödé", "🚀", "<script>", "' OR 1=1 --", "${PATH}",
        "HEAD~1", "refs/heads/main", "main", "build", "queued", "push", new string('a', 5000), "\t\n", "a b",
    ];

    private static readonly string[] Authorizations =
    [
        "", "Bearer", "Bearer ", "Bearer  x", "Basic dXNlcjpwYXNz", "Bearer " + PipelinerApp.AdminToken, "Bearer " + new string('z', 10000),
        "bearer " + PipelinerApp.AdminToken, "Bearer \u00e9\u00e9", "Token abc",
    ];

    private static readonly string[] ContentTypes =
    [
        "application/json", "application/json; charset=utf-8", "application/json; charset=nonsense", "text/plain",
        "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "multipart/form-data", "application/xml", "*/*",
    ];

    private static readonly string[] ForgeHeaders =
    [
        "X-GitHub-Event", "X-GitHub-Delivery", "X-Hub-Signature-256", "X-Gitlab-Event", "X-Gitlab-Token", "X-Gitlab-Event-UUID",
        "X-Gitea-Event", "X-Gitea-Signature", "X-Gitea-Delivery", "X-Event-Key", "X-Hub-Signature", "X-Request-UUID",
        "Idempotency-Key", "Last-Event-ID", "X-Forgejo-Event",
    ];

    private static readonly string[] Queries = ["page", "pageSize", "status", "event", "branch", "offset", "attempt"];

    [Fact]
    public async Task EveryEndpoint_AnswersBelow500_WhenSentGarbage()
    {
        var repository = app.NewRepository(Pipelines.BuildAndTest);
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, repository, hint: "fuzz");
        var runId = await admin.TriggerAsync(project);
        var endpoints = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (Route: e.RoutePattern.RawText!, Methods: e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]))
            .Where(e => !e.Route.StartsWith("/hangfire", StringComparison.Ordinal) || e.Route == "/hangfire/{**path}")
            .ToList();
        Assert.True(endpoints.Count >= 16, string.Join(", ", endpoints.Select(e => e.Route)));
        var random = new Random(4);
        var failures = new List<string>();
        using var client = app.Client(token: null);

        foreach (var (route, methods) in endpoints)
        {
            for (var i = 0; i < RequestsPerEndpoint; i++)
            {
                using var request = Garbage(random, route, methods, project, runId);
                var description = $"{request.Method} {request.RequestUri}";
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                try
                {
                    using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                    if ((int)response.StatusCode >= 500) failures.Add($"{(int)response.StatusCode} for {description}");
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested)
                {
                    failures.Add($"no answer within 60 s for {description}");
                }
            }
        }

        Assert.True(failures.Count == 0,
            $"{failures.Count} server errors:\n{string.Join("\n", failures.Take(20))}\nserver errors logged:\n{string.Join("\n", app.Errors.All.Take(5))}");
    }

    private static HttpRequestMessage Garbage(Random random, string route, IReadOnlyList<string> methods, string project, long runId)
    {
        var path = System.Text.RegularExpressions.Regex.Replace(route, @"\{\**([a-z]+)(:[a-z]+)?\}", match =>
            random.Next(3) == 0
                ? match.Groups[1].Value switch
                {
                    "project" => project,
                    "id" => runId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "job" => "build",
                    _ => Pick(random, Texts),
                }
                : Uri.EscapeDataString(Pick(random, Texts)).Replace("%2F", "/", StringComparison.Ordinal));
        if (path.Length == 0) path = "/";
        var query = new StringBuilder();
        for (var q = random.Next(3); q > 0; q--)
            query.Append(query.Length == 0 ? '?' : '&').Append(Pick(random, Queries)).Append('=').Append(Uri.EscapeDataString(Pick(random, Texts)));
        var method = random.Next(6) == 0 ? Pick(random, ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]) : Pick(random, methods);

        var request = new HttpRequestMessage(new HttpMethod(method), path + query);
        var authorization = Pick(random, Authorizations);
        if (authorization.Length > 0) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        for (var h = random.Next(4); h > 0; h--) request.Headers.TryAddWithoutValidation(Pick(random, ForgeHeaders), Pick(random, Texts));
        if (route.StartsWith("/hooks", StringComparison.Ordinal) && random.Next(2) == 0)
            request.Headers.TryAddWithoutValidation(Pick(random, ["X-GitHub-Event", "X-Gitlab-Event", "X-Gitea-Event", "X-Event-Key"]),
                Pick(random, ["push", "pull_request", "ping", "Push Hook", "Merge Request Hook", "repo:push", "pullrequest:created", "create"]));

        if (method is not ("GET" or "HEAD"))
        {
            var body = Body(random);
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.TryAddWithoutValidation("Content-Type", Pick(random, ContentTypes));
            if (route.StartsWith("/hooks", StringComparison.Ordinal) && random.Next(2) == 0)
            {
                var (header, value) = WebhookDelivery.Signature(Pick(random, ["github", "gitlab", "gitea", "bitbucket"]), body, Secrets.Webhook);
                request.Headers.TryAddWithoutValidation(header, value);
            }
        }

        return request;
    }

    private static byte[] Body(Random random)
    {
        switch (random.Next(8))
        {
            case 0:
                var bytes = new byte[random.Next(0, 2000)];
                random.NextBytes(bytes);
                return bytes;
            case 1:
                return Encoding.UTF8.GetBytes(new string('[', 5000) + new string(']', 5000));
            case 2:
                return Encoding.UTF8.GetBytes("{\"name\":" + Pick(random, ["1e999", "-0", "\"\\ud800\"", "[]", "{}", "null"]) + "}");
            case 3:
                return [0xEF, 0xBB, 0xBF, 0xC3, 0x28, 0x7B, 0x7D];
            case 4:
            {
                var fixture = Pick(random, WebhookDelivery.Cases.Keys.ToArray());
                var text = WebhookFixtures.Read(fixture);
                var cut = text.ToArray();
                if (random.Next(2) == 0) cut = cut[..random.Next(cut.Length)];
                else cut[random.Next(cut.Length)] = (byte)random.Next(256);
                return cut;
            }

            case 5:
                return Encoding.UTF8.GetBytes(
                    $"{{\"name\":\"{Pick(random, Texts)}\",\"repository\":\"{Pick(random, Texts)}\",\"forge\":\"{Pick(random, ["github", "x"])}\"," +
                    $"\"webhookSecret\":\"{Pick(random, Texts)}\",\"branch\":\"{Pick(random, Texts)}\",\"commit\":\"{Pick(random, Texts)}\"," +
                    $"\"jobs\":[\"{Pick(random, Texts)}\"],\"all\":{Pick(random, ["true", "1", "\"x\""])},\"variables\":{{\"A\":\"{Pick(random, Texts)}\"}}}}");
            case 6:
                return Encoding.UTF8.GetBytes(Pick(random, ["", "{}", "[]", "null", "\"\"", "{", "}", "0"]));
            default:
                return WebhookFixtures.Read(Pick(random, WebhookDelivery.Cases.Keys.ToArray()));
        }
    }

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];
}
