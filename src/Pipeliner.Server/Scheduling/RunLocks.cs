namespace Pipeliner.Server.Scheduling;

/// <summary>One async lock per run: every change to a run (agent reports, approvals, cancels) happens one at a time.</summary>
public sealed class RunLocks : KeyedLocks;
