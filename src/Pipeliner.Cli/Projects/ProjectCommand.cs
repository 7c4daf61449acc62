using System.CommandLine;

namespace Pipeliner.Cli.Projects;

/// <summary>
/// <c>pipeliner project add|update</c>: registers a project on a Pipeliner server, or changes its settings. The server
/// and token may come from PIPELINER_SERVER and PIPELINER_TOKEN, add's webhook secret and forge token from
/// PIPELINER_WEBHOOK_SECRET and PIPELINER_FORGE_TOKEN; repository credentials from files and environment variables
/// (<see cref="CredentialOptions"/>).
/// </summary>
internal static class ProjectCommand
{
    public static Command Create(CliConsole console) => new("project", "Manage projects on a Pipeliner server")
    {
        CreateAdd(console),
        CreateUpdate(console),
    };

    /// <summary><c>project add --name N --repository R --forge F --webhook-secret S [settings] [credentials]</c>.</summary>
    private static Command CreateAdd(CliConsole console)
    {
        var shared = new SharedOptions();
        var repository = new Option<string>("--repository") { Description = "The repository: an http(s)://, ssh:// or git:// URL, user@host:path, or an absolute local path", Required = true };
        var forge = new Option<string>("--forge") { Description = "github, gitlab, gitea or bitbucket", Required = true };
        forge.AcceptOnlyFromAmong("github", "gitlab", "gitea", "bitbucket");
        var add = new Command("add", "Register a project on a Pipeliner server") { repository, forge };
        shared.AddTo(add);
        const string needs = "project add needs --server, --token and --webhook-secret (or PIPELINER_SERVER, PIPELINER_TOKEN, PIPELINER_WEBHOOK_SECRET)";
        add.SetAction((result, cancellationToken) => shared.RunAsync(console, result, needs, async (server, token, credentials) =>
        {
            var registration = new ProjectRegistration(
                result.GetValue(shared.Name)!, result.GetValue(repository)!, result.GetValue(forge)!,
                result.GetValue(shared.Secret) ?? Environment.GetEnvironmentVariable("PIPELINER_WEBHOOK_SECRET"),
                result.GetValue(shared.PipelineFile), result.GetValue(shared.DefaultBranch), result.GetValue(shared.ForgeApiUrl),
                result.GetValue(shared.ForgeToken) ?? Environment.GetEnvironmentVariable("PIPELINER_FORGE_TOKEN"), credentials);
            if (registration.WebhookSecret is null) throw new UsageException(needs);
            return await new ProjectClient(console).AddAsync(server, token, registration, cancellationToken);
        }));
        return add;
    }

    /// <summary><c>project update --name N [settings] [credentials | --remove-credentials]</c>: only what is given changes.</summary>
    private static Command CreateUpdate(CliConsole console)
    {
        var shared = new SharedOptions();
        var allowForks = new Option<bool?>("--allow-secrets-for-forks") { Description = "true: jobs of pull requests from forks receive the secrets they list" };
        var removeCredentials = new Option<bool>("--remove-credentials") { Description = "Read the repository without credentials from now on" };
        var update = new Command("update", "Change a project's settings or repository credentials on a Pipeliner server") { allowForks, removeCredentials };
        shared.AddTo(update);
        const string needs = "project update needs --server and --token (or PIPELINER_SERVER, PIPELINER_TOKEN)";
        update.SetAction((result, cancellationToken) => shared.RunAsync(console, result, needs, async (server, token, credentials) =>
        {
            if (result.GetValue(removeCredentials))
            {
                if (credentials is not null) throw new UsageException("--remove-credentials cannot go with new credentials");
                credentials = new CredentialsBody();
            }

            var change = new ProjectChange(
                result.GetValue(shared.Secret), result.GetValue(shared.PipelineFile), result.GetValue(shared.DefaultBranch),
                result.GetValue(shared.ForgeApiUrl), result.GetValue(shared.ForgeToken), result.GetValue(allowForks), credentials);
            if (change.IsEmpty) throw new UsageException("project update needs something to change, e.g. --default-branch or --ssh-key-file");
            return await new ProjectClient(console).UpdateAsync(server, token, result.GetValue(shared.Name)!, change, cancellationToken);
        }));
        return update;
    }

    /// <summary>The options both commands take, and how their action starts.</summary>
    private sealed class SharedOptions
    {
        public Option<string?> Server { get; } = new("--server") { Description = "The server's address (default: $PIPELINER_SERVER)" };
        public Option<string?> Token { get; } = new("--token") { Description = "An admin token (default: $PIPELINER_TOKEN)" };
        public Option<string> Name { get; } = new("--name") { Description = "The project's name: lower-case letters, digits, '.', '_', '-'", Required = true };
        public Option<string?> Secret { get; } = new("--webhook-secret") { Description = "The webhook secret (default: $PIPELINER_WEBHOOK_SECRET)" };
        public Option<string?> PipelineFile { get; } = new("--pipeline-file") { Description = "The pipeline file (default: .pipeliner.yml)" };
        public Option<string?> DefaultBranch { get; } = new("--default-branch") { Description = "The default branch (default: main)" };
        public Option<string?> ForgeApiUrl { get; } = new("--forge-api-url") { Description = "The forge's API URL for commit statuses, e.g. https://api.github.com" };
        public Option<string?> ForgeToken { get; } = new("--forge-token") { Description = "A token for the forge's API (default: $PIPELINER_FORGE_TOKEN)" };
        public CredentialOptions Credentials { get; } = new();

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { Server, Token, Name, Secret, PipelineFile, DefaultBranch, ForgeApiUrl, ForgeToken }.Concat(Credentials.All))
                command.Options.Add(option);
        }

        /// <summary>Checks the server and token, reads the credentials, and runs <paramref name="send"/>; a usage mistake is one line and exit code 2.</summary>
        public async Task<int> RunAsync(CliConsole console, ParseResult result, string needs, Func<string, string, CredentialsBody?, Task<int>> send)
        {
            try
            {
                var server = result.GetValue(Server) ?? Environment.GetEnvironmentVariable("PIPELINER_SERVER");
                var token = result.GetValue(Token) ?? Environment.GetEnvironmentVariable("PIPELINER_TOKEN");
                if (server is null || token is null) throw new UsageException(needs);
                return await send(server, token, Credentials.Read(result, console.In));
            }
            catch (UsageException e)
            {
                console.Error.WriteLine($"pipeliner: {e.Message}");
                return ExitCodes.Error;
            }
        }
    }
}
