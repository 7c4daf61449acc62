using Pipeliner.Engine.Tests.Support;
using Pipeliner.Engine.Workspaces;
using Pipeliner.TestSupport.Git;

namespace Pipeliner.Engine.Tests.Workspaces;

/// <summary>A private repository over SSH: Debian's sshd started for the tests on 127.0.0.1 with its own host key.</summary>
public sealed class GitRepositoryMirrorSshTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = new("mirror-ssh");
    private GitSshServer _server = null!;
    private string _repository = "";
    private string _commit = "";

    public async Task InitializeAsync()
    {
        _repository = _temp.Combine("served", "private.git");
        _commit = ToolProcess.CreateBareRepository(_repository, new Dictionary<string, string> { ["a.txt"] = "over ssh" });
        _server = await GitSshServer.StartAsync(_temp.Combine("sshd"));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public void Update_ClonesAndFetchesOverSsh_WhenKeyAndKnownHostsFit()
    {
        var mirror = Mirror(new SshKeyCredentials(_server.AddClientKey(), null, _server.KnownHostsLine));

        mirror.Update();
        mirror.Fetch("refs/heads/main");
        mirror.CheckOut(_commit, _temp.Combine("workspace"));

        Assert.Equal(_commit, mirror.ResolveCommit("main"));
        Assert.Equal("over ssh", File.ReadAllText(_temp.Combine("workspace", "a.txt")));
        Assert.Empty(KeyFoldersOfThisServer());
        var config = File.ReadAllText(Path.Combine(mirror.MirrorPath, "config"));
        Assert.DoesNotContain("pipeliner-ssh-", config);
        Assert.DoesNotContain("sshCommand", config, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Update_UsesThePassphrase_WhenKeyIsEncrypted()
    {
        var mirror = Mirror(new SshKeyCredentials(_server.AddClientKey("key passphrase 1"), "key passphrase 1", _server.KnownHostsLine));

        mirror.Update();

        Assert.Equal(_commit, mirror.ResolveCommit("main"));
    }

    [Fact]
    public void Update_FetchesAPullRequestRef_WhenAskedForIt()
    {
        ToolProcess.Run("git", "--git-dir", _repository, "update-ref", "refs/pull/7/head", _commit);
        var mirror = Mirror(new SshKeyCredentials(_server.AddClientKey(), null, _server.KnownHostsLine));
        mirror.Update();

        mirror.Fetch("refs/pull/7/head");

        Assert.Equal(_commit, mirror.ResolveCommit("refs/pipeliner/pull/7/head"));
    }

    [Fact]
    public void Update_SaysTheHostKeyIsUnknown_WhenKnownHostsDoNotNameTheServer()
    {
        var elsewhere = $"[127.0.0.1]:{_server.Port + 1} {_server.HostPublicKey}";
        var mirror = Mirror(new SshKeyCredentials(_server.AddClientKey(), null, elsewhere));

        var error = Assert.Throws<WorkspaceException>(mirror.Update);

        Assert.StartsWith($"cannot read the repository '{_server.UrlOf(_repository)}' of project 'shop-api': the SSH server's host key is unknown", error.Message);
        Assert.Contains($"[127.0.0.1]:{_server.Port}", error.Message);
        Assert.Contains("knownHosts", error.Message);
    }

    [Fact]
    public void Update_SaysTheHostKeyChanged_WhenKnownHostsHoldAnotherKeyForTheServer()
    {
        var impostor = _server.UnknownClientKey();
        var otherKey = ToolProcess.Run("sh", "-c", $"printf '%s\\n' \"$0\" > {_temp.Combine("other")} && chmod 600 {_temp.Combine("other")} && ssh-keygen -y -f {_temp.Combine("other")}", impostor).Trim();
        var mirror = Mirror(new SshKeyCredentials(_server.AddClientKey(), null, $"[127.0.0.1]:{_server.Port} {otherKey}"));

        var error = Assert.Throws<WorkspaceException>(mirror.Update);

        Assert.Contains("of project 'shop-api': the SSH server's host key has changed", error.Message);
    }

    [Fact]
    public void Update_SaysTheKeyWasRefused_WhenTheServerDoesNotAuthorizeIt()
    {
        var stranger = _server.UnknownClientKey();
        var mirror = Mirror(new SshKeyCredentials(stranger, null, _server.KnownHostsLine));

        var error = Assert.Throws<WorkspaceException>(mirror.Update);

        Assert.Contains("of project 'shop-api': authentication failed: the SSH server refused the project's key", error.Message);
        Assert.DoesNotContain(stranger.Split('\n')[1], error.Message);
    }

    [Fact]
    public void Update_SaysTheKeyWasRefused_WhenThePassphraseIsWrong()
    {
        var mirror = Mirror(new SshKeyCredentials(_server.AddClientKey("the right one"), "a wrong passphrase", _server.KnownHostsLine));

        var error = Assert.Throws<WorkspaceException>(mirror.Update);

        Assert.Contains("authentication failed", error.Message);
        Assert.DoesNotContain("a wrong passphrase", error.Message);
    }

    private GitRepositoryMirror Mirror(SshKeyCredentials credentials) =>
        new(_server.UrlOf(_repository), _temp.Combine("mirror.git"), credentials, "shop-api");

    /// <summary>
    /// The key folders left in the temporary directory for this test's SSH server (their known_hosts names it): only
    /// these, as other tests and processes on the machine create and remove folders of their own there meanwhile.
    /// </summary>
    private List<string> KeyFoldersOfThisServer() =>
        [.. Directory.EnumerateDirectories(Path.GetTempPath(), "pipeliner-ssh-*").Where(folder =>
        {
            try
            {
                return File.ReadAllText(Path.Combine(folder, "known_hosts")).Contains(_server.KnownHostsLine, StringComparison.Ordinal);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false; // another's, or removed while looked at
            }
        })];
}
