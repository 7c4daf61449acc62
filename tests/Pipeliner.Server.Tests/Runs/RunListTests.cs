using System.Net;
using System.Net.Http.Json;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Runs;

/// <summary><c>GET /api/projects/{project}/runs</c>: newest first, filtered, paged; one project with six runs for all tests.</summary>
public sealed class RunListTests(RunListTests.ProjectWithRuns fixture) : IClassFixture<RunListTests.ProjectWithRuns>
{
    public sealed class ProjectWithRuns : IAsyncLifetime
    {
        public AppWithoutAgent App { get; } = new();
        public string Project { get; private set; } = "";

        /// <summary>Run ids in creation order: main, main, feature, main, feature, then the invalid run on 'broken'.</summary>
        public List<long> RunIds { get; } = [];

        public async Task InitializeAsync()
        {
            await App.InitializeAsync();
            var repository = App.NewRepository(Pipelines.OneJob);
            repository.CreateBranch("feature");
            repository.Commit("feature work", new Dictionary<string, string?> { ["feature.txt"] = "x" });
            repository.CreateBranch("broken");
            repository.Commit("break the pipeline", new Dictionary<string, string?> { [".pipeliner.yml"] = Pipelines.Invalid });
            using var client = App.Client();
            Project = await client.CreateProjectAsync(App, repository, hint: "listed");
            foreach (var branch in new[] { "main", "main", "feature", "main", "feature", "broken" })
                RunIds.Add(await client.TriggerAsync(Project, new { branch }));
        }

        public async Task DisposeAsync() => await ((IAsyncLifetime)App).DisposeAsync();
    }

    private PipelinerApp App => fixture.App;

    private async Task<PageView> ListAsync(string query)
    {
        using var client = App.Client();
        using var response = await client.GetAsync($"/api/projects/{fixture.Project}/runs{query}");
        await Api.ExpectAsync(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<PageView>(Api.Json))!;
    }

    [Fact]
    public async Task List_ReturnsEveryRunNewestFirst_WhenNoFilterIsGiven()
    {
        var page = await ListAsync("");

        Assert.Equal(6, page.Total);
        Assert.Equal(Enumerable.Reverse(fixture.RunIds), page.Items.Select(r => r.Id));
        Assert.Equal([6, 5, 4, 3, 2, 1], page.Items.Select(r => r.Number));
        Assert.Equal(1, page.Page);
    }

    [Fact]
    public async Task List_CarriesTheSummaryFields_WhenRunsExist()
    {
        var page = await ListAsync("?branch=main");

        Assert.All(page.Items, run =>
        {
            Assert.Equal("manual", run.Event);
            Assert.Equal("main", run.Branch);
            Assert.Equal(40, run.Commit.Length);
            Assert.Equal("queued", run.Status);
        });
    }

    [Theory]
    [InlineData("?branch=feature", new[] { 4, 2 })]
    [InlineData("?branch=main", new[] { 3, 1, 0 })]
    [InlineData("?branch=nothing-here", new int[0])]
    [InlineData("?status=invalid", new[] { 5 })]
    [InlineData("?status=queued&branch=feature", new[] { 4, 2 })]
    [InlineData("?status=succeeded", new int[0])]
    [InlineData("?event=manual&branch=broken", new[] { 5 })]
    [InlineData("?event=push", new int[0])]
    [InlineData("?event=pull_request", new int[0])]
    public async Task List_ReturnsTheMatchingRuns_WhenFiltered(string query, int[] expectedIndexes)
    {
        var page = await ListAsync(query);

        Assert.Equal(expectedIndexes.Select(i => fixture.RunIds[i]), page.Items.Select(r => r.Id));
        Assert.Equal(expectedIndexes.Length, page.Total);
    }

    [Fact]
    public async Task List_ReturnsTheRequestedPage_WhenPaged()
    {
        var second = await ListAsync("?page=2&pageSize=2");
        var last = await ListAsync("?page=3&pageSize=2");
        var beyond = await ListAsync("?page=4&pageSize=2");

        Assert.Equal([fixture.RunIds[3], fixture.RunIds[2]], second.Items.Select(r => r.Id));
        Assert.Equal([fixture.RunIds[1], fixture.RunIds[0]], last.Items.Select(r => r.Id));
        Assert.Empty(beyond.Items);
        Assert.All([second, last, beyond], page => Assert.Equal(6, page.Total));
        Assert.Equal(2, second.PageSize);
    }

    [Fact]
    public async Task List_ReturnsAnEmptyPage_WhenThePageIsFarBeyondTheEnd()
    {
        var page = await ListAsync($"?page={int.MaxValue}&pageSize=100");

        Assert.Empty(page.Items);
        Assert.Equal(6, page.Total);
    }

    [Theory]
    [InlineData("?page=0")]
    [InlineData("?page=-1")]
    [InlineData("?page=abc")]
    [InlineData("?page=99999999999")]
    [InlineData("?pageSize=0")]
    [InlineData("?pageSize=101")]
    [InlineData("?pageSize=x")]
    [InlineData("?status=done")]
    [InlineData("?status=Succeeded")]
    [InlineData("?event=commit")]
    [InlineData("?event=")]
    public async Task List_Returns400Problem_WhenAParameterIsInvalid(string query)
    {
        using var client = App.Client();

        using var response = await client.GetAsync($"/api/projects/{fixture.Project}/runs{query}");

        await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task List_Returns404Problem_WhenTheProjectDoesNotExist()
    {
        using var client = App.Client();

        using var response = await client.GetAsync("/api/projects/missing/runs");

        await Api.ProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task List_Returns401_WhenNoTokenIsSent()
    {
        using var client = App.Client(token: null);

        using var response = await client.GetAsync($"/api/projects/{fixture.Project}/runs");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task List_Succeeds_WhenTheTokenIsAViewers()
    {
        using var client = App.Client(await App.CreateTokenAsync(Role.Viewer));

        using var response = await client.GetAsync($"/api/projects/{fixture.Project}/runs");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
