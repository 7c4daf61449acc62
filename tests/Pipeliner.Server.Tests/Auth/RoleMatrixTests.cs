using System.Net;
using System.Text;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Auth.Sessions;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Auth;

/// <summary>
/// Every endpoint × every role, on the real server: no token → 401 (a read with anonymous read on → allowed), a role
/// below the one needed → 403, at or above it → neither 401 nor 403 (nor a server error). The endpoints are in
/// <see cref="RoleMatrix"/>. Each role calls with a token, or (<see cref="RoleMatrixWithSessionsTests"/>) with a
/// signed-in session cookie and its anti-forgery proof, as the dashboard does.
/// </summary>
public abstract class RoleMatrixTests(RoleMatrixApp app)
{
    public static TheoryData<string> Endpoints => new(RoleMatrix.Endpoints.Select(e => e.Key));

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Call_AnswersByRole_ForEveryRoleAndNoToken(string endpoint)
    {
        var row = RoleMatrix.Endpoints.Single(e => e.Key == endpoint);
        var scene = await app.SceneAsync();
        var failures = new List<string>();

        var anonymous = await scene.CallAsync(row, role: null);
        var anonymousAllowed = row.Needs == Needs.Read && app.AnonymousRead;
        if (anonymousAllowed ? !IsAllowed(anonymous) : anonymous != HttpStatusCode.Unauthorized)
            failures.Add($"no token: {(int)anonymous}, expected {(anonymousAllowed ? "allowed" : "401")}");

        foreach (var role in Enum.GetValues<Role>())
        {
            var status = await scene.CallAsync(row, role);
            var allowed = Allows(row.Needs, role);
            if (allowed ? !IsAllowed(status) : status != HttpStatusCode.Forbidden)
                failures.Add($"{role.ToName()}: {(int)status}, expected {(allowed ? "allowed" : "403")}");
        }

        Assert.True(failures.Count == 0, $"{endpoint} (needs {row.Needs}): {string.Join("; ", failures)}");
    }

    [Fact]
    public void Matrix_ListsEveryEndpointTheServerMaps_WhenTheServerStarts()
    {
        var mapped = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => $"{m} {e.RoutePattern.RawText}"))
            .ToHashSet(StringComparer.Ordinal);
        var listed = RoleMatrix.Endpoints.Select(e => e.Key).Concat(RoleMatrix.Public.Keys).ToHashSet(StringComparer.Ordinal);

        Assert.True(mapped.Except(listed).Order().ToList() is { Count: 0 }, $"endpoints missing from RoleMatrix: {string.Join(", ", mapped.Except(listed).Order())}");
        Assert.True(listed.Except(mapped).Order().ToList() is { Count: 0 }, $"RoleMatrix rows the server does not map: {string.Join(", ", listed.Except(mapped).Order())}");
    }

    [Fact]
    public async Task PublicEndpoints_AnswerWithoutAToken_WhenCalledAnonymously()
    {
        using var client = app.Client(token: null);

        foreach (var path in new[] { "/healthz", "/metrics", "/openapi/v1.json", "/api/me" })
        {
            using var response = await client.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode}");
        }

        using var raw = await client.GetAsync($"/api/runs/{(await app.SceneAsync()).RunId}/jobs/build/log/raw");
        Assert.Equal(HttpStatusCode.Unauthorized, raw.StatusCode);
    }

    private static bool Allows(Needs needs, Role role) => needs switch
    {
        Needs.Read or Needs.SignedIn => true,
        Needs.Developer => role >= Role.Developer,
        Needs.ReleaseManager => role >= Role.ReleaseManager,
        _ => role == Role.Admin,
    };

    private static bool IsAllowed(HttpStatusCode status) =>
        status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) && (int)status < 500;
}

public sealed class RoleMatrixWithTokensTests(TokenOnlyMatrixApp app) : RoleMatrixTests(app), IClassFixture<TokenOnlyMatrixApp>;

public sealed class RoleMatrixWithAnonymousReadTests(AnonymousReadMatrixApp app) : RoleMatrixTests(app), IClassFixture<AnonymousReadMatrixApp>;

public sealed class RoleMatrixWithSessionsTests(SessionMatrixApp app) : RoleMatrixTests(app), IClassFixture<SessionMatrixApp>;

/// <summary>A server without agent, and a project with a run waiting for an approval, to call the endpoints on.</summary>
public abstract class RoleMatrixApp(bool anonymousRead, bool sessions = false) : PipelinerApp(
    agentCapacity: 0, new Dictionary<string, string> { ["Pipeliner:Auth:AnonymousRead"] = anonymousRead ? "true" : "false" })
{
    private Task<RoleMatrixScene>? _scene;

    public bool AnonymousRead => anonymousRead;

    /// <summary>Each role calls with a session cookie (and the anti-forgery proof) instead of a token.</summary>
    public bool Sessions => sessions;

    public Task<RoleMatrixScene> SceneAsync() => _scene ??= RoleMatrixScene.CreateAsync(this);
}

public sealed class TokenOnlyMatrixApp() : RoleMatrixApp(anonymousRead: false);

public sealed class AnonymousReadMatrixApp() : RoleMatrixApp(anonymousRead: true);

public sealed class SessionMatrixApp() : RoleMatrixApp(anonymousRead: false, sessions: true);

public sealed class RoleMatrixScene
{
    private const string Pipeline = """
        stages: [build]
        defaults: { image: alpine:3 }
        jobs:
          build:
            stage: build
            when: manual
            script: ["echo build"]

        """;

    private readonly PipelinerApp _app;

    private RoleMatrixScene(PipelinerApp app, string project, long runId, IReadOnlyDictionary<Role, string> tokens,
        IReadOnlyDictionary<Role, SessionClient>? sessions)
    {
        _app = app;
        Project = project;
        RunId = runId;
        Tokens = tokens;
        Sessions = sessions;
    }

    public string Project { get; }
    public long RunId { get; }
    public IReadOnlyDictionary<Role, string> Tokens { get; }

    /// <summary>A signed-in session per role, when the matrix calls with sessions.</summary>
    public IReadOnlyDictionary<Role, SessionClient>? Sessions { get; }

    public static async Task<RoleMatrixScene> CreateAsync(RoleMatrixApp app)
    {
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, app.NewRepository(Pipeline), hint: "matrix");
        var runId = await admin.TriggerAsync(project);
        var tokens = new Dictionary<Role, string>();
        foreach (var role in Enum.GetValues<Role>()) tokens[role] = await app.CreateTokenAsync(role);
        Dictionary<Role, SessionClient>? sessions = null;
        if (app.Sessions)
        {
            sessions = [];
            foreach (var role in Enum.GetValues<Role>())
                sessions[role] = await app.SignInAsync(await app.CreateUserWithPasswordAsync(role, $"session-{role.ToName()}"));
        }
        return new RoleMatrixScene(app, project, runId, tokens, sessions);
    }

    /// <summary>The row's path with the scene's project and run.</summary>
    public string PathOf(EndpointCase row) => row.Path.Replace("{project}", Project, StringComparison.Ordinal)
        .Replace("{run}", RunId.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

    public static HttpRequestMessage RequestOf(EndpointCase row, string path)
    {
        var request = new HttpRequestMessage(new HttpMethod(row.Method), path);
        if (row.Body is not null) request.Content = new StringContent(row.Body, Encoding.UTF8, "application/json");
        return request;
    }

    /// <summary>
    /// Calls the row's endpoint as <paramref name="role"/> (nobody when null) and returns the status, reading only the
    /// headers (the event stream never ends).
    /// </summary>
    public async Task<HttpStatusCode> CallAsync(EndpointCase row, Role? role)
    {
        using var request = RequestOf(row, PathOf(row));
        if (role is { } signedIn && Sessions is not null)
        {
            var session = Sessions[signedIn];
            request.Headers.Add(SessionCookies.CsrfHeader, session.Csrf);
            using var answer = await session.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            return answer.StatusCode;
        }

        using var client = _app.Client(role is { } withToken ? Tokens[withToken] : null);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return response.StatusCode;
    }
}
