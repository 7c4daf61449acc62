namespace Pipeliner.Server.Data.Entities;

/// <summary>One line of the audit log: who did what, when, from where. Never updated or deleted.</summary>
public sealed class AuditEntryEntity
{
    public long Id { get; set; }
    public DateTimeOffset At { get; set; }

    /// <summary>The token's name, or "anonymous" / "system".</summary>
    public required string Actor { get; set; }

    /// <summary>The remote address of the request, when there was one.</summary>
    public string? Address { get; set; }

    /// <summary>What was done, as a dotted name: run.cancel, job.approve, token.create, project.create…</summary>
    public required string Action { get; set; }

    /// <summary>The project it concerned, by name; null for server-wide changes (tokens).</summary>
    public string? Project { get; set; }

    /// <summary>What it was done to: "run 12", "job deploy-qa of run 12", "token 3"…</summary>
    public required string Target { get; set; }

    /// <summary>Further facts in words (never a secret's value).</summary>
    public string? Details { get; set; }
}
