using System.Net;
using System.Net.Http.Json;
using System.Text;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Runs;

/// <summary><c>POST /api/projects/{project}/runs</c>, the manual trigger, without an agent: runs are created, nothing starts.</summary>
public abstract class RunTriggerTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : PipelinerApp
{
    [Fact]
    public async Task Trigger_Returns201WithTheQueuedRun_WhenThePipelineAllowsManualRuns()
    {
        var repository = app.NewRepository(Pipelines.BuildAndTest);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);

        using var response = await client.PostRunAsync(project);

        await Api.ExpectAsync(response, HttpStatusCode.Created);
        var triggered = (await response.Content.ReadFromJsonAsync<TriggeredView>(Api.Json))!;
        Assert.Equal(1, triggered.Number);
        Assert.Equal("queued", triggered.Status);
        var run = await client.GetRunAsync(triggered.Id);
        Assert.Equal(project, run.Project);
        Assert.Equal("manual", run.Event);
        Assert.Equal("main", run.Branch);
        Assert.Equal(repository.Head(), run.Commit);
        Assert.Equal("manual by admin", run.Trigger);
        Assert.Equal(["build", "test"], run.Stages);
    }

    [Fact]
    public async Task Trigger_NumbersRunsPerProject_WhenSeveralAreTriggered()
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        using var client = app.Client();
        var first = await client.CreateProjectAsync(app, repository);
        var second = await client.CreateProjectAsync(app, repository);

        var numbers = new List<int>();
        foreach (var project in new[] { first, first, second, first })
            numbers.Add((await client.GetRunAsync(await client.TriggerAsync(project))).Number);

        Assert.Equal([1, 2, 1, 3], numbers);
    }

    [Fact]
    public async Task Trigger_RunsTheGivenBranch_WhenABranchIsNamed()
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        repository.CreateBranch("release/1.0");
        var releaseHead = repository.Commit("release", new Dictionary<string, string?> { ["VERSION"] = "1.0" });
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);

        var run = await client.GetRunAsync(await client.TriggerAsync(project, new { branch = "release/1.0" }));

        Assert.Equal("release/1.0", run.Branch);
        Assert.Equal(releaseHead, run.Commit);
    }

    [Theory]
    [InlineData(40)]
    [InlineData(10)]
    public async Task Trigger_RunsTheGivenCommit_WhenACommitIdIsNamed(int length)
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        var first = repository.Head();
        repository.Commit("second", new Dictionary<string, string?> { ["b.txt"] = "b" });
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);

        var run = await client.GetRunAsync(await client.TriggerAsync(project, new { commit = first[..length] }));

        Assert.Equal(first, run.Commit);
    }

    [Fact]
    public async Task Trigger_PlansTheJobsOfTheDefaultBranch_WhenTheBodyIsEmpty()
    {
        var repository = app.NewRepository(Pipelines.OneJob, branch: "trunk");
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository, defaultBranch: "trunk");

        using var response = await client.PostAsync($"/api/projects/{project}/runs", content: null);

        await Api.ExpectAsync(response, HttpStatusCode.Created);
        var triggered = (await response.Content.ReadFromJsonAsync<TriggeredView>(Api.Json))!;
        Assert.Equal("trunk", (await client.GetRunAsync(triggered.Id)).Branch);
    }

    [Fact]
    public async Task Trigger_Returns422_WhenTheCommitHasNoPipelineFile()
    {
        var repository = GitRepository.Create(Path.Combine(app.WorkDir, $"bare-{Guid.NewGuid():N}"),
            new Dictionary<string, string> { ["README.md"] = "no pipeline here" });
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);

        using var response = await client.PostRunAsync(project);

        var problem = await Api.ProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        Assert.Contains(".pipeliner.yml", problem.Detail(), StringComparison.Ordinal);
        await AssertNoRunsAsync(client, project);
    }

    [Fact]
    public async Task Trigger_ReadsTheConfiguredPipelineFile_WhenTheProjectNamesOne()
    {
        var repository = GitRepository.Create(Path.Combine(app.WorkDir, $"custom-{Guid.NewGuid():N}"),
            new Dictionary<string, string> { ["ci/build.yml"] = Pipelines.OneJob });
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository, pipelineFile: "ci/build.yml");

        var run = await client.GetRunAsync(await client.TriggerAsync(project));

        Assert.Equal("build", Assert.Single(run.Jobs).Id);
    }

    [Fact]
    public async Task Trigger_Returns422AndCreatesNoRun_WhenThePipelineDoesNotAllowManualRuns()
    {
        var repository = app.NewRepository(Pipelines.MainOnly);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);

        using var response = await client.PostRunAsync(project);

        var problem = await Api.ProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        Assert.Contains("manual", problem.Detail(), StringComparison.Ordinal);
        await AssertNoRunsAsync(client, project);
    }

    [Fact]
    public async Task Trigger_CreatesAnInvalidRunWithLocatedErrors_WhenThePipelineIsInvalid()
    {
        var repository = app.NewRepository(Pipelines.Invalid);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);

        using var response = await client.PostRunAsync(project);

        await Api.ExpectAsync(response, HttpStatusCode.Created);
        var triggered = (await response.Content.ReadFromJsonAsync<TriggeredView>(Api.Json))!;
        Assert.Equal("invalid", triggered.Status);
        var run = await client.GetRunAsync(triggered.Id);
        Assert.Equal("invalid", run.Status);
        Assert.Empty(run.Jobs);
        Assert.NotNull(run.FinishedAt);
        var errors = run.Errors!;
        Assert.Equal([(5, 5), (6, 12)], errors.Select(e => (e.Line, e.Column)));
        Assert.Contains("scirpt", errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("tset", errors[1].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"commit\":\"not-hex\"}")]
    [InlineData("{\"commit\":\"abc\"}")]
    [InlineData("{\"branch\":\"\"}")]
    [InlineData("{\"branch\":\"../../etc\"}")]
    [InlineData("{\"branch\":\"-x\"}")]
    [InlineData("{\"branch\":\"a b\"}")]
    [InlineData("{\"branch\":\"HEAD~1\"}")]
    [InlineData("{\"branch\":5}")]
    [InlineData("{\"variables\":{\"A\":1}}")]
    [InlineData("{\"variables\":[]}")]
    [InlineData("{")]
    [InlineData("[]")]
    public async Task Trigger_Returns400Problem_WhenTheRequestIsMalformed(string body)
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);

        using var response = await client.PostAsync($"/api/projects/{project}/runs", new StringContent(body, Encoding.UTF8, "application/json"));

        await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        await AssertNoRunsAsync(client, project);
    }

    [Theory]
    [InlineData("{\"branch\":\"no-such-branch\"}")]
    [InlineData("{\"commit\":\"0123456789abcdef0123456789abcdef01234567\"}")]
    public async Task Trigger_Returns422Problem_WhenTheBranchOrCommitIsNotInTheRepository(string body)
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);

        using var response = await client.PostAsync($"/api/projects/{project}/runs", new StringContent(body, Encoding.UTF8, "application/json"));

        await Api.ProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        await AssertNoRunsAsync(client, project);
    }

    [Fact]
    public async Task Trigger_Returns422Problem_WhenTheRepositoryIsGone()
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);
        Directory.Delete(repository.Path, recursive: true);

        using var response = await client.PostRunAsync(project);

        await Api.ProblemAsync(response, HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task Trigger_Returns404Problem_WhenTheProjectDoesNotExist()
    {
        using var client = app.Client();

        using var response = await client.PostRunAsync("no-such-project");

        await Api.ProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Trigger_Returns403_WhenTheTokenIsAViewers()
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, repository);
        using var viewer = app.Client(await app.CreateTokenAsync(Role.Viewer));

        using var response = await viewer.PostRunAsync(project);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await AssertNoRunsAsync(admin, project);
    }

    [Fact]
    public async Task Trigger_Returns401_WhenNoTokenIsSent()
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, repository);
        using var anonymous = app.Client(token: null);

        using var response = await anonymous.PostRunAsync(project);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Trigger_NamesTheDeveloper_WhenADeveloperTriggers()
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, repository);
        using var developer = app.Client(await app.CreateTokenAsync(Role.Developer));

        var run = await admin.GetRunAsync(await developer.TriggerAsync(project));

        Assert.StartsWith("manual by developer", run.Trigger, StringComparison.Ordinal);
    }

    private static async Task AssertNoRunsAsync(HttpClient client, string project)
    {
        var page = (await client.GetFromJsonAsync<PageView>($"/api/projects/{project}/runs", Api.Json))!;
        Assert.Equal(0, page.Total);
    }
}

/// <summary>The tests above on SQLite.</summary>
public sealed class RunTriggerTests(AppWithoutAgent app) : RunTriggerTests<AppWithoutAgent>(app);

/// <summary>The tests above on PostgreSQL.</summary>
[Trait("Database", "postgres")]
public sealed class RunTriggerOnPostgresTests(AppWithoutAgentOnPostgres app) : RunTriggerTests<AppWithoutAgentOnPostgres>(app);
