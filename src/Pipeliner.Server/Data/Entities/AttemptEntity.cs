namespace Pipeliner.Server.Data.Entities;

public sealed class AttemptEntity
{
    public long Id { get; set; }
    public long JobId { get; set; }
    public JobEntity? Job { get; set; }
    public int Number { get; set; }
    public required string Status { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public int? ExitCode { get; set; }
    public string? Message { get; set; }
    public long? PeakMemoryBytes { get; set; }

    /// <summary>CPU time the attempt's script used (user + system, milliseconds) as the engine last sampled it; null: not measured.</summary>
    public long? CpuTimeMs { get; set; }
    public string? Agent { get; set; }

    /// <summary>For a failed attempt, whose fault it was: <c>job</c>, <c>configuration</c> or <c>lost</c> (null otherwise).</summary>
    public string? Cause { get; set; }

    /// <summary>The log file, relative to the data directory.</summary>
    public required string LogPath { get; set; }

    /// <summary>Until when the agent's claim holds; a running attempt past it is lost.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; set; }

    /// <summary>The SHA-256 of the attempt's own credential (downloads and uploads of a remote agent); it works while the attempt runs.</summary>
    public string? CredentialHash { get; set; }
}
