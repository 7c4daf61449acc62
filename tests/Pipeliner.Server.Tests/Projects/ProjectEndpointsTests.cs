using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Projects;

public class ProjectEndpointsTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    [Fact]
    public async Task Create_Returns201WithTheProject_WhenTheRequestIsValid()
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        var name = app.NewProjectName("created");
        using var client = app.Client();

        using var response = await client.PostProjectAsync(name, repository.Path, "gitlab", pipelineFile: "ci/pipeline.yml", defaultBranch: "develop");

        await Api.ExpectAsync(response, HttpStatusCode.Created);
        Assert.Equal($"/api/projects/{name}", response.Headers.Location?.OriginalString);
        var project = (await response.Content.ReadFromJsonAsync<ProjectView>(Api.Json))!;
        Assert.Equal(new ProjectView(name, repository.Path, "gitlab", "ci/pipeline.yml", "develop", $"http://localhost/hooks/{name}"), project);
    }

    [Fact]
    public async Task Create_AppliesDefaults_WhenPipelineFileAndBranchAreLeftOut()
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        using var client = app.Client();
        var name = await client.CreateProjectAsync(app, repository);

        var project = (await client.GetFromJsonAsync<ProjectView>($"/api/projects/{name}", Api.Json))!;

        Assert.Equal(".pipeliner.yml", project.PipelineFile);
        Assert.Equal("main", project.DefaultBranch);
    }

    [Fact]
    public async Task Create_StoresTheWebhookSecretEncrypted_WhenAProjectIsRegistered()
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        using var client = app.Client();
        var name = await client.CreateProjectAsync(app, repository);

        var stored = await app.WithDbAsync(db => db.Projects.SingleAsync(p => p.Name == name));

        Assert.DoesNotContain(Secrets.Webhook, stored.WebhookSecretProtected, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_Returns409_WhenTheNameIsTaken()
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        using var client = app.Client();
        var name = await client.CreateProjectAsync(app, repository);

        using var again = await client.PostProjectAsync(name, repository.Path);

        var problem = await Api.ProblemAsync(again, HttpStatusCode.Conflict);
        Assert.Contains(name, problem.Detail(), StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string, string, string?, string?, string> InvalidRequests => new()
    {
        { "", "/tmp", "github", "long-enough", null, null, "name" },
        { "Upper-Case", "/tmp", "github", "long-enough", null, null, "name" },
        { "has space", "/tmp", "github", "long-enough", null, null, "name" },
        { new string('a', 101), "/tmp", "github", "long-enough", null, null, "name" },
        { "ok", "", "github", "long-enough", null, null, "repository" },
        { "ok", "relative/path", "github", "long-enough", null, null, "repository" },
        { "ok", "/no/such/directory/anywhere", "github", "long-enough", null, null, "repository" },
        { "ok", "ftp://example.com/repo.git", "github", "long-enough", null, null, "repository" },
        { "ok", "/tmp", "sourcehut", "long-enough", null, null, "forge" },
        { "ok", "/tmp", "GitHub", "long-enough", null, null, "forge" },
        { "ok", "/tmp", "github", "short", null, null, "webhookSecret" },
        { "ok", "/tmp", "github", "", null, null, "webhookSecret" },
        { "ok", "/tmp", "github", "long-enough", "", null, "pipelineFile" },
        { "ok", "/tmp", "github", "long-enough", "/etc/passwd", null, "pipelineFile" },
        { "ok", "/tmp", "github", "long-enough", "../outside.yml", null, "pipelineFile" },
        { "ok", "/tmp", "github", "long-enough", null, "", "defaultBranch" },
        { "ok", "/tmp", "github", "long-enough", null, "bad..branch", "defaultBranch" },
    };

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public async Task Create_Returns400ValidationProblemNamingTheField_WhenAFieldIsInvalid(
        string name, string repository, string forge, string secret, string? pipelineFile, string? defaultBranch, string field)
    {
        using var client = app.Client();

        using var response = await client.PostProjectAsync(name, repository, forge, secret, pipelineFile, defaultBranch);

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), $"expected an error for '{field}', got {errors}");
        Assert.Single(errors.EnumerateObject());
    }

    [Fact]
    public async Task Create_SaysThereIsNoRepositoryAtThePath_WhenTheLocalPathDoesNotExist()
    {
        using var client = app.Client();

        using var response = await client.PostProjectAsync(app.NewProjectName("missing"), "/no/such/directory/anywhere");

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("no repository at /no/such/directory/anywhere: the directory does not exist",
            problem.GetProperty("errors").GetProperty("repository")[0].GetString());
    }

    [Fact]
    public async Task Create_ReportsEveryInvalidField_WhenSeveralAreInvalid()
    {
        using var client = app.Client();

        using var response = await client.PostAsJsonAsync("/api/projects", new { });

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        var fields = problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order().ToList();
        Assert.Equal(["forge", "name", "repository", "webhookSecret"], fields);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("\"text\"")]
    [InlineData("{\"name\": 5}")]
    [InlineData("")]
    [InlineData("null")]
    public async Task Create_Returns400Problem_WhenTheBodyIsNotAProjectObject(string body)
    {
        using var client = app.Client();

        using var response = await client.PostAsync("/api/projects", new StringContent(body, Encoding.UTF8, "application/json"));

        await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Create_Returns415Problem_WhenTheBodyIsNotJson()
    {
        using var client = app.Client();

        using var response = await client.PostAsync("/api/projects", new StringContent("name=x", Encoding.UTF8, "application/x-www-form-urlencoded"));

        await Api.ProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task List_ReturnsProjectsOrderedByName_WhenSeveralExist()
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        using var client = app.Client();
        var first = await client.CreateProjectAsync(app, repository, hint: "zz-listed");
        var second = await client.CreateProjectAsync(app, repository, hint: "aa-listed");

        var projects = (await client.GetFromJsonAsync<List<ProjectView>>("/api/projects", Api.Json))!;

        var names = projects.Select(p => p.Name).ToList();
        Assert.Contains(first, names);
        Assert.Contains(second, names);
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
    }

    [Fact]
    public async Task Get_ReturnsTheLatestRunOfTheDefaultBranch_WhenOneExists()
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        using var client = app.Client();
        var name = await client.CreateProjectAsync(app, repository);
        var runId = await client.TriggerAsync(name);

        var project = await client.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/projects/{name}", Api.Json);

        var latest = project.GetProperty("latestDefaultBranchRun");
        Assert.Equal(runId, latest.GetProperty("id").GetInt64());
        Assert.Equal(repository.Head(), latest.GetProperty("commit").GetString());
    }

    [Fact]
    public async Task Get_Returns404Problem_WhenTheProjectDoesNotExist()
    {
        using var client = app.Client();

        using var response = await client.GetAsync("/api/projects/no-such-project");

        await Api.ProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("GET", "/api/projects")]
    [InlineData("GET", "/api/projects/anything")]
    [InlineData("POST", "/api/projects")]
    public async Task Endpoints_Return401_WhenNoTokenIsSent(string method, string path)
    {
        using var client = app.Client(token: null);

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = JsonContent.Create(new { }) });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("not-a-token")]
    [InlineData("plr_unknown0000000000000000000000000000000000")]
    public async Task Endpoints_Return401_WhenTheTokenIsUnknown(string token)
    {
        using var client = app.Client(token);

        using var response = await client.GetAsync("/api/projects");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Endpoints_Return401_WhenTheTokenIsRevokedOrExpired()
    {
        var revoked = await app.CreateTokenAsync(Role.Admin, revokedAt: DateTimeOffset.UtcNow.AddMinutes(-1));
        var expired = await app.CreateTokenAsync(Role.Admin, expiresAt: DateTimeOffset.UtcNow.AddMinutes(-1));

        foreach (var token in new[] { revoked, expired })
        {
            using var client = app.Client(token);
            using var response = await client.GetAsync("/api/projects");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }

    [Fact]
    public async Task Create_Returns403_WhenTheTokenIsAViewers()
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        using var client = app.Client(await app.CreateTokenAsync(Role.Viewer));

        using var response = await client.PostProjectAsync(app.NewProjectName("forbidden"), repository.Path);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Create_Returns403_WhenTheTokenIsADevelopers()
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        using var client = app.Client(await app.CreateTokenAsync(Role.Developer));

        using var response = await client.PostProjectAsync(app.NewProjectName("forbidden"), repository.Path);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task ListAndGet_Succeed_WhenTheTokenIsAViewers()
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        using var admin = app.Client();
        var name = await admin.CreateProjectAsync(app, repository);
        using var viewer = app.Client(await app.CreateTokenAsync(Role.Viewer));

        using var list = await viewer.GetAsync("/api/projects");
        using var get = await viewer.GetAsync($"/api/projects/{name}");

        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
    }
}
