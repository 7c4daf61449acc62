namespace Pipeliner.Server.Agents;

/// <summary>How jobs are matched to agents: a job's <c>runs-on</c> labels must all be among the agent's.</summary>
public static class AgentLabels
{
    public static IReadOnlyList<string> Parse(string labels) =>
        labels.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static string Join(IEnumerable<string> labels) => string.Join(',', labels);

    /// <summary>The job's labels the agent lacks (none: the agent fits).</summary>
    public static IReadOnlyList<string> Missing(string runsOn, IReadOnlyCollection<string> agentLabels) =>
        Parse(runsOn).Where(label => !agentLabels.Contains(label, StringComparer.Ordinal)).ToList();

    public static bool Fits(string runsOn, IReadOnlyCollection<string> agentLabels) => Missing(runsOn, agentLabels).Count == 0;
}
