namespace Pipeliner.Server.Agents;

/// <summary>An online agent's labels and slots, as a pending job's reason weighs them.</summary>
public sealed record AgentSlots(string Name, IReadOnlyList<string> Labels, int Capacity, int Busy);

/// <summary>
/// Why a ready job waits for an agent, in the words of the issue: no agent online, no agent with its labels (and the
/// nearest one, with what it lacks), or all that fit busy (with their slots).
/// </summary>
public static class PendingReasons
{
    public const string NoAgentOnline = "no agent online";

    /// <summary>While an agent with a free slot that fits is about to claim the job.</summary>
    public static string WaitingFor(string runsOn) =>
        runsOn.Length == 0 ? "waiting for an agent" : $"waiting for an agent with labels {string.Join(", ", AgentLabels.Parse(runsOn))}";

    public static string For(string runsOn, IReadOnlyList<AgentSlots> online)
    {
        if (online.Count == 0) return NoAgentOnline;
        var labels = AgentLabels.Join(AgentLabels.Parse(runsOn));
        var fitting = online.Where(a => AgentLabels.Fits(runsOn, a.Labels.ToList())).ToList();
        if (fitting.Count == 0)
        {
            var nearest = online.Select(a => (Agent: a, Missing: AgentLabels.Missing(runsOn, a.Labels.ToList())))
                .OrderBy(a => a.Missing.Count).ThenBy(a => a.Agent.Name, StringComparer.Ordinal).First();
            return $"no agent has the labels {labels} (nearest: {nearest.Agent.Name} lacks {AgentLabels.Join(nearest.Missing)})";
        }

        if (fitting.All(a => a.Busy >= a.Capacity))
        {
            var slots = $"{fitting.Sum(a => a.Busy)}/{fitting.Sum(a => a.Capacity)} slots";
            var agents = fitting.Count == 1 ? "the 1 agent" : $"all {fitting.Count} agents";
            var verb = fitting.Count == 1 ? "is" : "are";
            return labels.Length == 0 ? $"{agents} {verb} busy ({slots})" : $"{agents} with labels {labels} {verb} busy ({slots})";
        }

        return WaitingFor(runsOn);
    }
}
