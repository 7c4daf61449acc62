using System.Net;
using System.Text.Json;
using Pipeliner.Cli.Tests.Support;

namespace Pipeliner.Cli.Tests.Projects;

public sealed class ProjectCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static string[] Add(string server, params string[] extra) =>
    [
        "project", "add", "--server", server, "--token", "plr_admin", "--name", "shop-api",
        "--repository", "https://git.example.com/shop/api.git", "--forge", "gitea", "--webhook-secret", "s3cret-value", .. extra,
    ];

    [Fact]
    public void Add_PostsTheProjectAndPrintsTheWebhookUrl_WhenTheServerAccepts()
    {
        using var server = new FakeProjectServer(HttpStatusCode.Created, """{"name":"shop-api","webhookUrl":"http://ci.local/hooks/shop-api"}""");

        var result = PipelinerCli.Run(Add(server.Url, "--default-branch", "develop"));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("point the gitea webhook at http://ci.local/hooks/shop-api", result.Out);
        Assert.Equal("POST", server.Method);
        Assert.Equal("/api/projects", server.Path);
        Assert.Equal("Bearer plr_admin", server.Authorization);
        using var body = JsonDocument.Parse(server.RequestBody!);
        Assert.Equal("shop-api", body.RootElement.GetProperty("name").GetString());
        Assert.Equal("gitea", body.RootElement.GetProperty("forge").GetString());
        Assert.Equal("s3cret-value", body.RootElement.GetProperty("webhookSecret").GetString());
        Assert.Equal("develop", body.RootElement.GetProperty("defaultBranch").GetString());
    }

    [Fact]
    public void Add_PrintsEachFieldProblem_WhenTheServerRejectsTheProject()
    {
        using var server = new FakeProjectServer(HttpStatusCode.BadRequest,
            """{"title":"One or more validation errors occurred.","status":400,"errors":{"repository":["an http(s):// URL"],"webhookSecret":["at least 8 characters"]}}""");

        var result = PipelinerCli.Run(Add(server.Url));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("pipeliner: the server refused the project: repository: an http(s):// URL; webhookSecret: at least 8 characters", result.Error.Trim());
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized, "the token is unknown, expired or revoked")]
    [InlineData(HttpStatusCode.Forbidden, "admin needed")]
    [InlineData(HttpStatusCode.Conflict, "a project named 'shop-api' exists already")]
    public void Add_SaysWhyTheServerRefused_WhenItAnswersWithAProblem(HttpStatusCode status, string reason)
    {
        using var server = new FakeProjectServer(status, """{"status":409,"detail":"a project named 'shop-api' exists already"}""");

        var result = PipelinerCli.Run(Add(server.Url));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(reason, result.Error);
        Assert.DoesNotContain("   at ", result.Error);
    }

    [Fact]
    public void Add_ExitsWithTwo_WhenTheServerCannotBeReached()
    {
        var result = PipelinerCli.Run(Add("http://127.0.0.1:9"));

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("pipeliner: cannot reach the server at http://127.0.0.1:9/", result.Error);
    }

    [Fact]
    public void Add_ExitsWithTwo_WhenNoTokenIsGiven()
    {
        var result = PipelinerCli.Run("project", "add", "--server", "http://127.0.0.1:9", "--name", "x", "--repository", "/tmp/x",
            "--forge", "github", "--webhook-secret", "12345678");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("needs --server, --token and --webhook-secret", result.Error);
    }

    [Fact]
    public void Add_SendsTheSshKeyKnownHostsAndPassphraseFromFilesAndStandardInput_WhenGiven()
    {
        using var server = new FakeProjectServer(HttpStatusCode.Created, """{"name":"shop-api","webhookUrl":"http://ci.local/hooks/shop-api"}""");
        var key = Write("id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n");
        var knownHosts = Write("known_hosts", "git.example.com ssh-ed25519 AAAAC3Nza\n");

        var result = PipelinerCli.RunWithInput("the passphrase\n",
            Add(server.Url, "--ssh-key-file", key, "--known-hosts-file", knownHosts, "--ssh-passphrase-file", "-"));

        Assert.Equal(0, result.ExitCode);
        using var body = JsonDocument.Parse(server.RequestBody!);
        var credentials = body.RootElement.GetProperty("credentials");
        Assert.Equal(File.ReadAllText(key), credentials.GetProperty("sshPrivateKey").GetString());
        Assert.Equal("the passphrase", credentials.GetProperty("sshPassphrase").GetString());
        Assert.Equal("git.example.com ssh-ed25519 AAAAC3Nza\n", credentials.GetProperty("knownHosts").GetString());
        Assert.Equal(JsonValueKind.Null, credentials.GetProperty("username").ValueKind);
    }

    [Fact]
    public void Add_SendsTheUserNameAndThePasswordFromAFile_WhenGiven()
    {
        using var server = new FakeProjectServer(HttpStatusCode.Created, """{"name":"shop-api","webhookUrl":"http://ci.local/hooks/shop-api"}""");

        var result = PipelinerCli.Run(Add(server.Url, "--username", "ci-bot", "--password-file", Write("token", "glpat-token\r\n")));

        Assert.Equal(0, result.ExitCode);
        using var body = JsonDocument.Parse(server.RequestBody!);
        var credentials = body.RootElement.GetProperty("credentials");
        Assert.Equal(("ci-bot", "glpat-token"), (credentials.GetProperty("username").GetString(), credentials.GetProperty("password").GetString()));
    }

    [Theory]
    [InlineData("--username", "ci-bot")]
    [InlineData("--password-file", "/dev/null")]
    [InlineData("--ssh-key-file", "/no/such/key")]
    [InlineData("--known-hosts-file", "/dev/null")]
    public void Add_ExitsWithTwoWithoutCallingTheServer_WhenCredentialsAreIncomplete(string option, string value)
    {
        using var server = new FakeProjectServer(HttpStatusCode.Created, "{}");

        var result = PipelinerCli.Run(Add(server.Url, option, value));

        Assert.Equal(2, result.ExitCode);
        Assert.Null(server.Method);
        Assert.StartsWith("pipeliner: ", result.Error);
    }

    [Fact]
    public void Add_ExitsWithTwo_WhenBothKindsOfCredentialsAreGiven()
    {
        var result = PipelinerCli.Run(Add("http://127.0.0.1:9", "--username", "ci", "--password-file", Write("p", "x"), "--ssh-key-file", Write("k", "key")));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("not both", result.Error);
    }

    [Fact]
    public void Update_PatchesOnlyWhatIsGiven_WhenSettingsChange()
    {
        using var server = new FakeProjectServer(HttpStatusCode.OK, """{"name":"shop-api","credentialsKind":"password"}""");

        var result = PipelinerCli.Run("project", "update", "--server", server.Url, "--token", "plr_admin", "--name", "shop-api",
            "--default-branch", "develop", "--allow-secrets-for-forks", "false");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("project 'shop-api' updated; repository credentials: password", result.Out.Trim());
        Assert.Equal(("PATCH", "/api/projects/shop-api"), (server.Method, server.Path));
        using var body = JsonDocument.Parse(server.RequestBody!);
        Assert.Equal("develop", body.RootElement.GetProperty("defaultBranch").GetString());
        Assert.False(body.RootElement.GetProperty("allowSecretsForForks").GetBoolean());
        Assert.Equal(JsonValueKind.Null, body.RootElement.GetProperty("credentials").ValueKind);
        Assert.Equal(JsonValueKind.Null, body.RootElement.GetProperty("webhookSecret").ValueKind);
    }

    [Fact]
    public void Update_SendsEmptyCredentials_WhenAskedToRemoveThem()
    {
        using var server = new FakeProjectServer(HttpStatusCode.OK, """{"name":"shop-api","credentialsKind":null}""");

        var result = PipelinerCli.Run("project", "update", "--server", server.Url, "--token", "plr_admin", "--name", "shop-api", "--remove-credentials");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("repository credentials: none", result.Out);
        using var body = JsonDocument.Parse(server.RequestBody!);
        Assert.All(body.RootElement.GetProperty("credentials").EnumerateObject(), field => Assert.Equal(JsonValueKind.Null, field.Value.ValueKind));
    }

    [Fact]
    public void Update_ExitsWithTwo_WhenNothingIsToChange()
    {
        var result = PipelinerCli.Run("project", "update", "--server", "http://127.0.0.1:9", "--token", "plr_admin", "--name", "shop-api");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("needs something to change", result.Error);
    }

    private string Write(string name, string content) => _temp.Write(name, content);
}
