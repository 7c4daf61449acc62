using Pipeliner.Engine.Tests.Support;
using Pipeliner.Engine.Workspaces;
using Pipeliner.TestSupport.Git;

namespace Pipeliner.Engine.Tests.Workspaces;

/// <summary>A private repository over HTTP with basic authentication: git http-backend behind a web server on 127.0.0.1.</summary>
public sealed class GitRepositoryMirrorHttpTests : IAsyncLifetime
{
    private const string Username = "ci-bot";
    private const string Password = "s3cret-token-4711";

    private readonly TempDirectory _temp = new("mirror-http");
    private GitHttpServer _server = null!;
    private string _commit = "";

    public async Task InitializeAsync()
    {
        _commit = ToolProcess.CreateBareRepository(_temp.Combine("served", "private.git"), new Dictionary<string, string> { ["a.txt"] = "private" });
        _server = await GitHttpServer.StartAsync(_temp.Combine("served"), Username, Password);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public void Update_ClonesWithoutKeepingThePassword_WhenCredentialsAreRight()
    {
        var mirror = Mirror(new PasswordCredentials(Username, Password));

        mirror.Update();
        mirror.CheckOut(_commit, _temp.Combine("workspace"));

        Assert.Equal(_commit, mirror.ResolveCommit("main"));
        Assert.Equal("private", File.ReadAllText(_temp.Combine("workspace", "a.txt")));
        var stored = Directory.EnumerateFiles(mirror.MirrorPath, "*", SearchOption.AllDirectories).Where(f => !f.Contains("objects", StringComparison.Ordinal));
        Assert.All(stored, file => Assert.DoesNotContain(Password, File.ReadAllText(file), StringComparison.Ordinal));
        Assert.Contains($"url = {_server.UrlOf("private.git")}", File.ReadAllText(Path.Combine(mirror.MirrorPath, "config")));
    }

    [Fact]
    public void Update_FetchesNewCommitsWithCredentials_WhenMirrorExists()
    {
        var mirror = Mirror(new PasswordCredentials(Username, Password));
        mirror.Update();
        var pushed = ToolProcess.RunIn(_temp.Path, "git", "--git-dir", _temp.Combine("served", "private.git"), "commit-tree", "-p", _commit, "-m", "second", $"{_commit}^{{tree}}").Trim();
        ToolProcess.RunIn(_temp.Path, "git", "--git-dir", _temp.Combine("served", "private.git"), "update-ref", "refs/heads/main", pushed);

        mirror.Update();

        Assert.Equal(pushed, mirror.ResolveCommit("main"));
    }

    [Fact]
    public void Update_SaysTheServerRefusedTheUser_WhenPasswordIsWrong()
    {
        var mirror = Mirror(new PasswordCredentials(Username, "wrong-password-0815"));

        var error = Assert.Throws<WorkspaceException>(mirror.Update);

        Assert.StartsWith($"cannot read the repository '{_server.UrlOf("private.git")}' of project 'shop-api': authentication failed", error.Message);
        Assert.Contains($"user name '{Username}'", error.Message);
        Assert.DoesNotContain("wrong-password-0815", error.Message);
        Assert.Null(error.InnerException);
        // Refused once, not replayed until libgit2 gives up.
        Assert.InRange(_server.RefusedUsers.Count(user => user == Username), 1, 2);
    }

    [Fact]
    public void Update_SaysCredentialsAreNeeded_WhenProjectHasNone()
    {
        var mirror = Mirror(null);

        var error = Assert.Throws<WorkspaceException>(mirror.Update);

        Assert.Contains("of project 'shop-api': authentication required: the repository asks for credentials and the project has none", error.Message);
    }

    [Fact]
    public void Update_HidesAPasswordWrittenIntoTheUrl_WhenItFails()
    {
        var url = _server.UrlOf("private.git").Replace("http://", $"http://{Username}:url-password-99@", StringComparison.Ordinal);
        var mirror = new GitRepositoryMirror(url.Replace("private.git", "missing.git", StringComparison.Ordinal), _temp.Combine("mirror.git"), project: "shop-api");

        var error = Assert.Throws<WorkspaceException>(mirror.Update);

        Assert.DoesNotContain("url-password-99", error.Message);
        Assert.Contains($"{Username}:***@", error.Message);
    }

    private GitRepositoryMirror Mirror(RepositoryCredentials? credentials) =>
        new(_server.UrlOf("private.git"), _temp.Combine("mirror.git"), credentials, "shop-api");
}
