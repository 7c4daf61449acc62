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
}
