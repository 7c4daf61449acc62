namespace Pipeliner.Server.Data.Entities;

/// <summary>
/// One commit status context of a run on its forge (<c>pipeliner</c> for the run, <c>pipeliner/{job}</c> per job):
/// what was last staged for it and what the forge last accepted, so that an older status never overwrites a newer one.
/// </summary>
public sealed class ForgeStatusContextEntity
{
    public long Id { get; set; }
    public long RunId { get; set; }
    public required string Context { get; set; }

    /// <summary>The job's id in the plan; null for the run's own context.</summary>
    public string? JobId { get; set; }

    /// <summary>The newest state staged (a <c>CommitState</c> name) and its sequence number, counting from 1.</summary>
    public required string State { get; set; }

    public int Sequence { get; set; }

    /// <summary>The newest sequence number settled: accepted by the forge or refused for good; 0 before the first.</summary>
    public int SettledSequence { get; set; }

    /// <summary>The state the forge last accepted; null before any.</summary>
    public string? DeliveredState { get; set; }
    public List<ForgeStatusUpdateEntity> Updates { get; set; } = [];
}
