namespace Pipeliner.Server.Data.Entities;

/// <summary>A project's rules for deploying to one environment (dit, qa, prod…).</summary>
public sealed class EnvironmentEntity
{
    public long Id { get; set; }
    public int ProjectId { get; set; }
    public required string Name { get; set; }

    /// <summary>The least role that may promote to, approve for or redeploy this environment.</summary>
    public required string RequiredRole { get; set; }

    /// <summary>Environments a run must have deployed to successfully before it may deploy here.</summary>
    public List<string> Requires { get; set; } = [];

    /// <summary>Approvals by people other than the requester before a deployment starts.</summary>
    public int Approvals { get; set; }

    /// <summary>Globs of the branches whose runs may deploy here; with <see cref="Tags"/> empty too, any run may.</summary>
    public List<string> Branches { get; set; } = [];

    public List<string> Tags { get; set; } = [];

    public DateTimeOffset UpdatedAt { get; set; }
}
