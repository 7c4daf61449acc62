namespace Pipeliner.Core.Model;

/// <summary>
/// The ceilings a pipeline is compiled under: what a job gets when it sets no limit (<see cref="Defaults"/>), the most
/// it may ask for (<see cref="Maximums"/>, null: no ceiling), and how many jobs one run may have, matrices expanded.
/// A server sets them (<c>Pipeliner:Limits:*</c>, 1000 jobs by default); <see cref="Default"/> — no resource limit,
/// 10,000 jobs (a matrix that would expand to more is refused before it is expanded) — is what <c>pipeliner</c> uses
/// on a developer's machine.
/// </summary>
public sealed record PipelineLimits(ResourceLimits Defaults, ResourceLimits Maximums, int MaxJobs)
{
    public const int DefaultMaxJobs = 10_000;

    public static PipelineLimits Default { get; } = new(ResourceLimits.None, ResourceLimits.None, DefaultMaxJobs);
}
