using System.Net;
using System.Text.Json;
using Pipeliner.Cli.Tests.Support;

namespace Pipeliner.Cli.Tests.Projects;

public sealed class ProjectCommandTests
{
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
}
