using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Pipeliner.Web.Tests.Support;

namespace Pipeliner.Web.Tests.EndToEnd;

/// <summary>
/// One real server process with a project whose repository has three branches — main (a live job, needs, a manual
/// release), broken (a failing job) and perf (a 100,000-line log) — single sign-on through a real OpenID Connect
/// provider, and a Chromium to look at it.
/// </summary>
public sealed class DashboardWorld : IAsyncLifetime
{
    public const string Project = "shop";
    public const string WebhookSecret = "e2e-webhook-secret";

    private readonly TempDirectory _directory = new();
    private ServerProcess? _server;
    private OidcProvider? _oidc;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public ServerProcess Server => _server ?? throw new InvalidOperationException("not started");

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("not started");

    public OidcProvider Oidc => _oidc ?? throw new InvalidOperationException("not started");

    public GitRepository Git { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await DockerEngine.EnsureAsync();
        Git = await GitRepository.CreateAsync(_directory.Combine("repo"));
        await Git.CommitAsync("Shop API: build, test and release", (".pipeliner.yml", Pipelines.Main));
        await Git.GitAsync("checkout -q -b broken");
        await Git.CommitAsync("Break the checkout test", (".pipeliner.yml", Pipelines.Broken));
        await Git.GitAsync("checkout -q main");
        await Git.GitAsync("checkout -q -b invalid");
        await Git.CommitAsync("Need a job that does not exist", (".pipeliner.yml", Pipelines.Invalid));
        await Git.GitAsync("checkout -q main");
        await Git.GitAsync("checkout -q -b perf");
        await Git.CommitAsync("Make a very long log", (".pipeliner.yml", Pipelines.Perf));
        await Git.GitAsync("checkout -q main");

        // Single sign-on through a real OpenID Connect provider; "olivia-admin" gets the admin role from its claim.
        var url = ServerProcess.NewUrl();
        _oidc = await OidcProvider.StartAsync(url, new Dictionary<string, string> { ["olivia-admin"] = "admin" });
        _server = await ServerProcess.StartAsync(_directory.Combine("data"), url, _oidc.ServerSettings());
        var created = await Server.Api().PostAsJsonAsync("/api/projects", new
        {
            name = Project, repository = Git.Path, forge = "github", webhookSecret = WebhookSecret, defaultBranch = "main",
        });
        Assert.True(created.IsSuccessStatusCode, $"registering the project: {created.StatusCode} {await created.Content.ReadAsStringAsync()}");

        (_playwright, _browser) = await Chromium.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
        if (_oidc is not null) await _oidc.DisposeAsync();
        _directory.Dispose();
    }

    public async Task<long> TriggerAsync(string branch)
    {
        var response = await Server.Api().PostAsJsonAsync($"/api/projects/{Project}/runs", new { branch });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"triggering a run of {branch}: {response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetInt64();
    }

    public async Task<JsonElement> RunAsync(long id) =>
        JsonDocument.Parse(await Server.Api().GetStringAsync($"/api/runs/{id}")).RootElement;

    public static JsonElement Job(JsonElement run, string id) =>
        run.GetProperty("jobs").EnumerateArray().Single(j => j.GetProperty("id").GetString() == id);

    /// <summary>Polls the run until the condition holds; fails with the run and the server's output otherwise.</summary>
    public async Task<JsonElement> WaitForRunAsync(long id, Func<JsonElement, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonElement run;
        do
        {
            run = await RunAsync(id);
            if (condition(run)) return run;
            await Task.Delay(250);
        }
        while (DateTime.UtcNow < deadline);

        throw new TimeoutException($"run {id}: {what} did not happen within {timeout}; the run is {run}\n{Server.Output}");
    }

    /// <summary>A pull request opened on GitHub: its head commit gets a pull ref, then the signed webhook arrives.</summary>
    public async Task<string> OpenPullRequestAsync(int number, string title)
    {
        await Git.GitAsync("checkout -q -b feature/review main");
        var sha = await Git.CommitAsync(title, ("NOTES.md", "Reviewed changes\n"));
        await Git.GitAsync($"update-ref refs/pull/{number}/head {sha}");
        await Git.GitAsync("checkout -q main");

        var payload = JsonSerializer.Serialize(new
        {
            action = "opened",
            number,
            pull_request = new
            {
                number, title, user = new { login = "rita-reviewer" }, @base = new { @ref = "main" }, head = new { @ref = "feature/review", sha },
            },
            repository = new { full_name = "example/shop" },
            sender = new { login = "rita-reviewer" },
        });
        using var response = await DeliverAsync(Project, "pull_request", payload, WebhookSecret);
        Assert.True(response.IsSuccessStatusCode, $"the pull request webhook: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return sha;
    }

    /// <summary>A GitHub webhook as GitHub sends it, signed over the exact body with <paramref name="secret"/>.</summary>
    public async Task<HttpResponseMessage> DeliverAsync(string project, string eventName, string payload, string secret, string? deliveryId = null)
    {
        var body = Encoding.UTF8.GetBytes(payload);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/hooks/{project}") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-GitHub-Event", eventName);
        request.Headers.Add("X-GitHub-Delivery", deliveryId ?? Guid.NewGuid().ToString());
        request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body)));
        return await Server.Api(token: null).SendAsync(request);
    }

    /// <summary>A page in a new browser context (its own session storage), signed in unless told otherwise.</summary>
    public async Task<IPage> NewPageAsync(int width = 1280, int height = 900, ColorScheme scheme = ColorScheme.Light, bool signedIn = true)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            ColorScheme = scheme,
            BaseURL = Server.BaseUrl,
            IsMobile = width < 600,
            HasTouch = width < 600,
        });
        context.SetDefaultTimeout(30_000);
        // Expect(...) assertions have their own default (5 s), too short for a headless Chromium on 2 loaded cores.
        Assertions.SetDefaultExpectTimeout(30_000);
        if (signedIn) await context.AddInitScriptAsync($"sessionStorage.setItem('pipeliner.token', '{ServerProcess.AdminToken}')");
        return await context.NewPageAsync();
    }

    /// <summary>
    /// Waits until the page's address matches. The app changes it with the history API; polling the address sees
    /// every such change, where waiting for a navigation event can miss one that happened while the page loaded.
    /// </summary>
    public static Task ExpectUrlAsync(IPage page, System.Text.RegularExpressions.Regex url) =>
        Assertions.Expect(page).ToHaveURLAsync(url, new PageAssertionsToHaveURLOptions { Timeout = 30_000 });

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Repository.Screenshots, $"{name}.png"), FullPage = true });
}

[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardWorld>
{
    public const string Name = "dashboard end to end";
}
