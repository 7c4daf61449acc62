using System.Globalization;

namespace Pipeliner.Server.Tests.Reliability;

/// <summary>
/// What one crash scenario came to, as docs/operations.md ("Crash safety") reports it: every count but the inputs and
/// the re-queued lost attempts must be zero.
/// </summary>
/// <param name="Kills">How often a process was killed (kill -9).</param>
/// <param name="Requests">API requests the scenario made (triggers, reads, polls) across all server processes.</param>
/// <param name="LostAttempts">Attempts given up as lost with their server and queued again (not counted against <c>retry</c>).</param>
internal sealed record CrashFigures(
    string Scenario, int Kills, int Requests, int ServerErrors, int Runs, int LostRuns, int DuplicatedRuns, int StuckRuns,
    int LeftoverContainers, int LeftoverWorkspaces, int LostAttempts, TimeSpan Elapsed)
{
    public const string Header =
        "| Scenario | kill -9 | API requests | 5xx | Runs | Lost runs | Duplicated runs | Stuck runs | Leftover containers | Leftover workspaces | Lost attempts re-queued | Seconds |";

    public bool Clean => ServerErrors == 0 && LostRuns == 0 && DuplicatedRuns == 0 && StuckRuns == 0 && LeftoverContainers == 0 && LeftoverWorkspaces == 0;

    /// <summary>One row of the table in docs/operations.md.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"| {Scenario} | {Kills} | {Requests} | {ServerErrors} | {Runs} | {LostRuns} | {DuplicatedRuns} | {StuckRuns} | {LeftoverContainers} | {LeftoverWorkspaces} | {LostAttempts} | {Elapsed.TotalSeconds:0.0} |");
}
