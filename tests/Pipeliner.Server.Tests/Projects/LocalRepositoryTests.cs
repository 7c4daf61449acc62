using System.Net;
using System.Net.Http.Json;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Projects;

/// <summary>Local paths allowed: never one that leads into the data directory (another project's mirror) or a special file system.</summary>
public class LocalRepositoryTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    /// <summary>A project whose mirror (repos/{name}.git in the data directory) exists, as after its first run.</summary>
    private async Task<string> MirrorOfAnotherProjectAsync(HttpClient admin)
    {
        var victim = await admin.CreateProjectAsync(app, app.NewRepository(Pipelines.OneJob), hint: "victim");
        await admin.TriggerAsync(victim);
        var mirror = Path.Combine(app.DataDir, "repos", $"{victim}.git");
        Assert.True(Directory.Exists(mirror), $"no mirror at {mirror}");
        return mirror;
    }

    [Fact]
    public async Task Create_Returns400NamingTheDataDirectory_WhenTheRepositoryIsAnotherProjectsMirror()
    {
        using var admin = app.Client();
        var mirror = await MirrorOfAnotherProjectAsync(admin);
        var link = Path.Combine(app.WorkDir, $"innocent-{Guid.NewGuid():N}");
        File.CreateSymbolicLink(link, mirror);
        var gitFile = Directory.CreateDirectory(Path.Combine(app.WorkDir, $"gitfile-{Guid.NewGuid():N}")).FullName;
        File.WriteAllText(Path.Combine(gitFile, ".git"), $"gitdir: {mirror}\n");

        foreach (var repository in new[] { mirror, $"file://{mirror}", link, gitFile, Path.Combine(app.WorkDir, "..", "data", "repos", Path.GetFileName(mirror)) })
        {
            using var response = await admin.PostProjectAsync(app.NewProjectName("thief"), repository);

            var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
            var message = problem.GetProperty("errors").GetProperty("repository")[0].GetString()!;
            Assert.Contains("is inside the server's data directory", message, StringComparison.Ordinal);
            Assert.EndsWith("a project's repository must not be there", message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("/proc/self/cwd", "/proc")]
    [InlineData("/proc/self/root/tmp", "/proc")]
    [InlineData("/sys/kernel", "/sys")]
    [InlineData("/dev/shm", "/dev")]
    public async Task Create_Returns400NamingTheFileSystem_WhenTheRepositoryIsOnASpecialFileSystem(string repository, string named)
    {
        using var admin = app.Client();

        using var response = await admin.PostProjectAsync(app.NewProjectName("special"), repository);

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains($"is on a special file system ({named})", problem.GetProperty("errors").GetProperty("repository")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_Returns400_WhenAFileUrlNamesAPathNoFileSystemHas()
    {
        using var admin = app.Client();

        using var response = await admin.PostProjectAsync(app.NewProjectName("null"), "file:///tmp/a%00b");

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.StartsWith("'/tmp/a", problem.GetProperty("errors").GetProperty("repository")[0].GetString(), StringComparison.Ordinal);
        Assert.Empty(app.Errors.All);
    }

    [Fact]
    public async Task Update_Returns400_WhenItTriesToPointAProjectAtAnotherProjectsMirror()
    {
        using var admin = app.Client();
        var mirror = await MirrorOfAnotherProjectAsync(admin);
        var project = await admin.CreateProjectAsync(app, app.NewRepository(Pipelines.OneJob));

        using var response = await admin.PatchAsJsonAsync($"/api/projects/{project}", new { repository = mirror });

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("cannot be changed: register a new project instead", problem.GetProperty("errors").GetProperty("repository")[0].GetString());
    }
}

/// <summary>A server whose settings forbid local repositories.</summary>
public sealed class AppRefusingLocalRepositories()
    : PipelinerApp(agentCapacity: 0, new Dictionary<string, string> { [LocalRepositoriesSetting] = "false" });

public class LocalRepositoryRefusedTests(AppRefusingLocalRepositories app) : IClassFixture<AppRefusingLocalRepositories>
{
    [Fact]
    public async Task Create_Returns400NamingTheSetting_WhenLocalRepositoriesAreOff()
    {
        using var admin = app.Client();
        var repository = app.NewRepository(Pipelines.OneJob);

        foreach (var location in new[] { repository.Path, $"file://{repository.Path}" })
        {
            using var response = await admin.PostProjectAsync(app.NewProjectName("local"), location);

            var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
            Assert.Equal(
                "local repositories are not allowed on this server: Pipeliner:Projects:AllowLocalRepositories is false; register the repository's URL instead",
                problem.GetProperty("errors").GetProperty("repository")[0].GetString());
        }

        using var url = await admin.PostProjectAsync(app.NewProjectName("remote"), "https://git.example.com/shop/api.git");
        await Api.ExpectAsync(url, HttpStatusCode.Created);
    }
}

/// <summary>A server that leaves the setting unset: local repositories only while it is single-user.</summary>
public sealed class AppWithDefaultLocalRepositories()
    : PipelinerApp(agentCapacity: 0, new Dictionary<string, string> { [LocalRepositoriesSetting] = "" });

public class LocalRepositoryDefaultTests(AppWithDefaultLocalRepositories app) : IClassFixture<AppWithDefaultLocalRepositories>
{
    [Fact]
    public async Task Create_AllowsALocalPathOnlyWhileTheServerIsSingleUser_WhenTheSettingIsUnset()
    {
        using var admin = app.Client();
        var repository = app.NewRepository(Pipelines.OneJob);
        using (var alone = await admin.PostProjectAsync(app.NewProjectName("alone"), repository.Path))
            await Api.ExpectAsync(alone, HttpStatusCode.Created);
        await app.CreateTokenAsync(Role.Developer);

        using var shared = await admin.PostProjectAsync(app.NewProjectName("shared"), repository.Path);

        var problem = await Api.ProblemAsync(shared, HttpStatusCode.BadRequest);
        Assert.Equal(
            "local repositories are not allowed on this server: it has 2 users and Pipeliner:Projects:AllowLocalRepositories is not set to true; " +
            "register the repository's URL instead",
            problem.GetProperty("errors").GetProperty("repository")[0].GetString());
    }
}
