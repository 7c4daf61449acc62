using System.CommandLine;

namespace Pipeliner.Cli.Projects;

/// <summary>
/// <c>pipeliner project add --server URL --token T --name N --repository R --forge F --webhook-secret S
/// [--pipeline-file F] [--default-branch B] [--forge-api-url U --forge-token T]</c>: registers a project on a Pipeliner server.
/// The server, token, secret and forge token may come from PIPELINER_SERVER, PIPELINER_TOKEN, PIPELINER_WEBHOOK_SECRET and
/// PIPELINER_FORGE_TOKEN.
/// </summary>
internal static class ProjectCommand
{
    public static Command Create(CliConsole console)
    {
        var server = new Option<string?>("--server") { Description = "The server's address (default: $PIPELINER_SERVER)" };
        var token = new Option<string?>("--token") { Description = "An admin token (default: $PIPELINER_TOKEN)" };
        var name = new Option<string>("--name") { Description = "The project's name: lower-case letters, digits, '.', '_', '-'", Required = true };
        var repository = new Option<string>("--repository") { Description = "The repository's URL or absolute local path", Required = true };
        var forge = new Option<string>("--forge") { Description = "github, gitlab, gitea or bitbucket", Required = true };
        forge.AcceptOnlyFromAmong("github", "gitlab", "gitea", "bitbucket");
        var secret = new Option<string?>("--webhook-secret") { Description = "The webhook secret (default: $PIPELINER_WEBHOOK_SECRET)" };
        var pipelineFile = new Option<string?>("--pipeline-file") { Description = "The pipeline file (default: .pipeliner.yml)" };
        var defaultBranch = new Option<string?>("--default-branch") { Description = "The default branch (default: main)" };
        var forgeApiUrl = new Option<string?>("--forge-api-url")
        {
            Description = "The forge's API URL for commit statuses, e.g. https://api.github.com (default: none sent)",
        };
        var forgeToken = new Option<string?>("--forge-token") { Description = "A token for the forge's API (default: $PIPELINER_FORGE_TOKEN)" };

        var add = new Command("add", "Register a project on a Pipeliner server")
        {
            server, token, name, repository, forge, secret, pipelineFile, defaultBranch, forgeApiUrl, forgeToken,
        };
        add.SetAction(async (result, cancellationToken) =>
        {
            var request = new ProjectRegistration(
                result.GetValue(name)!, result.GetValue(repository)!, result.GetValue(forge)!,
                result.GetValue(secret) ?? Environment.GetEnvironmentVariable("PIPELINER_WEBHOOK_SECRET"),
                result.GetValue(pipelineFile), result.GetValue(defaultBranch),
                result.GetValue(forgeApiUrl), result.GetValue(forgeToken) ?? Environment.GetEnvironmentVariable("PIPELINER_FORGE_TOKEN"));
            var serverUrl = result.GetValue(server) ?? Environment.GetEnvironmentVariable("PIPELINER_SERVER");
            var tokenValue = result.GetValue(token) ?? Environment.GetEnvironmentVariable("PIPELINER_TOKEN");
            if (serverUrl is null || tokenValue is null || request.WebhookSecret is null)
            {
                console.Error.WriteLine("pipeliner: project add needs --server, --token and --webhook-secret (or PIPELINER_SERVER, PIPELINER_TOKEN, PIPELINER_WEBHOOK_SECRET)");
                return ExitCodes.Error;
            }

            return await new ProjectClient(console).AddAsync(serverUrl, tokenValue, request, cancellationToken);
        });
        return new Command("project", "Manage projects on a Pipeliner server") { add };
    }
}
