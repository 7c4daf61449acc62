namespace Pipeliner.Cli.Projects;

/// <summary>The repository credentials a project request carries (the server's <c>credentials</c> field); all null removes them.</summary>
internal sealed record CredentialsBody(
    string? Username = null, string? Password = null, string? SshPrivateKey = null, string? SshPassphrase = null, string? KnownHosts = null);

/// <summary>What <c>project add</c> sends: the server's <c>POST /api/projects</c> body.</summary>
internal sealed record ProjectRegistration(
    string Name, string Repository, string Forge, string? WebhookSecret, string? PipelineFile, string? DefaultBranch,
    string? ForgeApiUrl, string? ForgeToken, CredentialsBody? Credentials = null);

/// <summary>What <c>project update</c> sends: the server's <c>PATCH /api/projects/{name}</c> body (null leaves a setting as it is).</summary>
internal sealed record ProjectChange(
    string? WebhookSecret, string? PipelineFile, string? DefaultBranch, string? ForgeApiUrl, string? ForgeToken,
    bool? AllowSecretsForForks, CredentialsBody? Credentials)
{
    public bool IsEmpty => this is { WebhookSecret: null, PipelineFile: null, DefaultBranch: null, ForgeApiUrl: null, ForgeToken: null, AllowSecretsForForks: null, Credentials: null };
}
