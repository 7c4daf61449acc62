using System.Net;
using System.Net.Http.Json;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Tests.Support;
using Pipeliner.Server.Usage;
using Pipeliner.TestSupport.Seeding;

namespace Pipeliner.Server.Tests.Usage;

public sealed class UsageEndpointsTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    [Fact]
    public async Task Usage_CountsLogsArtifactsAndCachesPerProject_ForAdminsOnly()
    {
        var seed = new RunSeed(app);
        var project = await seed.ProjectAsync("usage");
        var run = await seed.FinishedRunAsync(project, "failed", "main", DateTimeOffset.UtcNow, ("build", ["one line"]));
        var artifact = Path.Combine(app.DataDir, "runs", run.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "artifacts", "build", "dist.tar");
        Directory.CreateDirectory(Path.GetDirectoryName(artifact)!);
        await File.WriteAllBytesAsync(artifact, new byte[1000]);
        var cache = Path.Combine(app.DataDir, "cache", project.Name, "main", "deps", "cache.tar");
        Directory.CreateDirectory(Path.GetDirectoryName(cache)!);
        await File.WriteAllBytesAsync(cache, new byte[300]);

        var usage = await app.Client().GetFromJsonAsync<UsageResponse>("/api/usage");

        var mine = Assert.Single(usage!.Projects, p => p.Project == project.Name);
        Assert.Equal(new ProjectUsage(project.Name, RunSeed.Log("one line").Length, 1000, 300), mine);
        Assert.True(usage.LogBytes >= mine.LogBytes);
        var developer = await app.CreateTokenAsync(Role.Developer);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.Client(developer).GetAsync("/api/usage")).StatusCode);
    }
}
