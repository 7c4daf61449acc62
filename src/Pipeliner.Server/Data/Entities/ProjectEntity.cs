namespace Pipeliner.Server.Data.Entities;

public sealed class ProjectEntity
{
    public int Id { get; set; }
    public required string Name { get; set; }
    public required string Repository { get; set; }
    public required string Forge { get; set; }

    /// <summary>Encrypted with ASP.NET Data Protection; needed in clear only to check webhook signatures.</summary>
    public required string WebhookSecretProtected { get; set; }

    public required string PipelineFile { get; set; }
    public required string DefaultBranch { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The last run number given out; runs of a project are numbered 1, 2, 3…</summary>
    public int LastRunNumber { get; set; }

    /// <summary>Whether jobs of pull requests from forks receive the secrets they list (off: such jobs fail before they start).</summary>
    public bool AllowSecretsForForks { get; set; }

    /// <summary>The forge's API base URL commit statuses are sent to (e.g. https://api.github.com); null: none sent.</summary>
    public string? ForgeApiUrl { get; set; }

    /// <summary>The token for the forge's API, encrypted with ASP.NET Data Protection; null: no statuses sent.</summary>
    public string? ForgeTokenProtected { get; set; }

    /// <summary>"password" or "ssh" when the repository is read with credentials; null: without.</summary>
    public string? CredentialsKind { get; set; }

    /// <summary>The repository credentials as JSON, encrypted with ASP.NET Data Protection (<c>RepositoryCredentialStore.Purpose</c>).</summary>
    public string? CredentialsProtected { get; set; }

    /// <summary>The project's own retention policy as JSON (<c>Retention/ProjectRetention</c>); null: the server's default.</summary>
    public string? RetentionJson { get; set; }

    /// <summary>
    /// When an admin archived the project; null: active. An archived project keeps its history (readable as before) but
    /// takes no webhooks and no new runs, and is left out of the default project list.
    /// </summary>
    public DateTimeOffset? ArchivedAt { get; set; }
}
