using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Logs;

/// <summary><c>GET /api/runs/{id}/artifacts</c> and <c>/artifacts/{name}</c>: what jobs saved, byte for byte.</summary>
public class ArtifactEndpointsTests(AppWithAgent app) : IClassFixture<AppWithAgent>
{
    [Fact]
    public async Task Artifacts_AreListedAndDownloadedWithMatchingSha256_WhenAJobSavedThem()
    {
        var repository = app.NewRepository(Pipelines.BuildAndTest);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);
        var run = await client.WaitForFinishAsync(await client.TriggerAsync(project));
        Assert.Equal("succeeded", run.Status);

        var artifacts = (await client.GetFromJsonAsync<List<ArtifactView>>($"/api/runs/{run.Id}/artifacts", Api.Json))!;

        var artifact = Assert.Single(artifacts);
        Assert.Equal(("build", "out"), (artifact.Job, artifact.Path));
        using var download = await client.GetAsync($"/api/runs/{run.Id}/artifacts/{artifact.Name}");
        await Api.ExpectAsync(download, HttpStatusCode.OK);
        Assert.Equal("application/x-tar", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal(artifact.Name, download.Content.Headers.ContentDisposition?.FileNameStar ?? download.Content.Headers.ContentDisposition?.FileName);
        var bytes = await download.Content.ReadAsByteArrayAsync();
        Assert.Equal(artifact.Size, bytes.Length);
        Assert.Equal(artifact.Sha256, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        Assert.True(bytes.AsSpan().IndexOf("binary-content"u8) >= 0, "the archive holds the file the job wrote");
    }

    [Fact]
    public async Task Artifacts_IsAnEmptyList_WhenNoJobSavedAny()
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);
        var run = await client.WaitForFinishAsync(await client.TriggerAsync(project));

        var artifacts = (await client.GetFromJsonAsync<List<ArtifactView>>($"/api/runs/{run.Id}/artifacts", Api.Json))!;

        Assert.Empty(artifacts);
    }

    [Theory]
    [InlineData("/api/runs/{id}/artifacts/nope.tar")]
    [InlineData("/api/runs/{id}/artifacts/..%2F..%2Fpipeliner.db")]
    [InlineData("/api/runs/876543/artifacts")]
    [InlineData("/api/runs/876543/artifacts/build-0.tar")]
    public async Task Artifacts_Return404Problem_WhenThereIsNoSuchArtifactOrRun(string path)
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);
        var run = await client.WaitForFinishAsync(await client.TriggerAsync(project));

        using var response = await client.GetAsync(path.Replace("{id}", run.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));

        await Api.ProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Artifacts_Return401_WhenNoTokenIsSent()
    {
        using var client = app.Client(token: null);

        using var list = await client.GetAsync("/api/runs/1/artifacts");
        using var download = await client.GetAsync("/api/runs/1/artifacts/build-0.tar");

        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized), (list.StatusCode, download.StatusCode));
    }
}
