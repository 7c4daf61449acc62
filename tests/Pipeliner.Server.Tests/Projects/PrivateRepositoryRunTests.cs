using System.Net;
using System.Net.Http.Json;
using Pipeliner.Server.Tests.Support;
using Pipeliner.TestSupport.Git;

namespace Pipeliner.Server.Tests.Projects;

/// <summary>
/// Runs of private repositories, end to end on the real Docker engine: git over HTTP with basic authentication
/// (git http-backend behind a web server) and over SSH (sshd with its own host key), both on 127.0.0.1.
/// </summary>
public sealed class PrivateRepositoryRunTests(AppWithAgent app) : IClassFixture<AppWithAgent>, IAsyncLifetime
{
    private const string Username = "ci-bot";
    private const string Password = "glpat-private-repository-0042";

    /// <summary>Shows the checked-out file, the job's environment and the workspace's git configuration.</summary>
    private const string Pipeline = """
        stages: [build]
        defaults: { image: alpine:3 }
        jobs:
          build:
            stage: build
            script: ["cat private.txt", "env", "cat .git/config"]

        """;

    private GitHttpServer _http = null!;
    private GitSshServer _ssh = null!;
    private string _served = "";

    public async Task InitializeAsync()
    {
        _served = Path.Combine(app.WorkDir, $"served-{Guid.NewGuid():N}");
        ToolProcess.CreateBareRepository(Path.Combine(_served, "private.git"),
            new Dictionary<string, string> { [".pipeliner.yml"] = Pipeline, ["private.txt"] = "only for the team" });
        _http = await GitHttpServer.StartAsync(_served, Username, Password);
        _ssh = await GitSshServer.StartAsync(Path.Combine(app.WorkDir, $"sshd-{Guid.NewGuid():N}"));
    }

    public async Task DisposeAsync()
    {
        await _http.DisposeAsync();
        await _ssh.DisposeAsync();
    }

    [Fact]
    public async Task Trigger_RunsAPrivateHttpRepositoryWithoutShowingThePassword_WhenCredentialsAreRight()
    {
        using var client = app.Client();
        var project = await CreateAsync(client, _http.UrlOf("private.git"), new { username = Username, password = Password });

        var run = await client.WaitForFinishAsync(await client.TriggerAsync(project));

        Assert.Equal("succeeded", run.Status);
        var log = await client.LogAsync(run.Id, "build");
        Assert.Contains("only for the team", log, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, log, StringComparison.Ordinal);
        Assert.DoesNotContain(_http.UrlOf("private.git"), log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trigger_RunsAPrivateSshRepositoryWithoutShowingTheKey_WhenKeyAndKnownHostsFit()
    {
        var key = _ssh.AddClientKey("passphrase for the run");
        using var client = app.Client();
        var project = await CreateAsync(client, _ssh.UrlOf(Path.Combine(_served, "private.git")),
            new { sshPrivateKey = key, sshPassphrase = "passphrase for the run", knownHosts = _ssh.KnownHostsLine });

        var run = await client.WaitForFinishAsync(await client.TriggerAsync(project));

        Assert.Equal("succeeded", run.Status);
        var log = await client.LogAsync(run.Id, "build");
        Assert.Contains("only for the team", log, StringComparison.Ordinal);
        Assert.DoesNotContain(key.Split('\n')[1], log, StringComparison.Ordinal);
        Assert.DoesNotContain("passphrase for the run", log, StringComparison.Ordinal);
        Assert.DoesNotContain("pipeliner-ssh-", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trigger_Returns422NamingTheProjectAndTheRefusal_WhenThePasswordIsWrong()
    {
        using var client = app.Client();
        var project = await CreateAsync(client, _http.UrlOf("private.git"), new { username = Username, password = "not-the-password" });

        using var response = await client.PostRunAsync(project);

        var detail = (await Api.ProblemAsync(response, HttpStatusCode.UnprocessableEntity)).Detail();
        Assert.Contains($"of project '{project}': authentication failed: the server refused user name '{Username}'", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trigger_Returns422SayingTheHostKeyIsUnknown_WhenKnownHostsLackTheServer()
    {
        using var client = app.Client();
        var project = await CreateAsync(client, _ssh.UrlOf(Path.Combine(_served, "private.git")),
            new { sshPrivateKey = _ssh.AddClientKey(), knownHosts = $"[127.0.0.1]:1 {_ssh.HostPublicKey}" });

        using var response = await client.PostRunAsync(project);

        var detail = (await Api.ProblemAsync(response, HttpStatusCode.UnprocessableEntity)).Detail();
        Assert.Contains($"of project '{project}': the SSH server's host key is unknown (host-key checking is on)", detail, StringComparison.Ordinal);
    }

    private async Task<string> CreateAsync(HttpClient client, string repository, object credentials)
    {
        var name = app.NewProjectName("private");
        using var response = await client.PostAsJsonAsync("/api/projects", new { name, repository, forge = "gitea", webhookSecret = Secrets.Webhook, credentials });
        await Api.ExpectAsync(response, HttpStatusCode.Created);
        return name;
    }
}
