namespace Pipeliner.Server.Data.Entities;

/// <summary>A secret of a project, for all its jobs or for the jobs of one environment; the value is never stored in clear.</summary>
public sealed class ProjectSecretEntity
{
    /// <summary>What <see cref="Environment"/> holds for a project-wide secret (a unique index treats NULLs as distinct).</summary>
    public const string ProjectWide = "";

    public int Id { get; set; }
    public int ProjectId { get; set; }
    public ProjectEntity? Project { get; set; }
    public required string Name { get; set; }

    /// <summary>The environment whose jobs get this value instead of the project-wide one; <see cref="ProjectWide"/> for none.</summary>
    public required string Environment { get; set; }

    /// <summary>Encrypted with ASP.NET Data Protection (purpose <c>Pipeliner.Projects.Secrets</c>).</summary>
    public required string ValueProtected { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
