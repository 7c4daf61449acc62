using Pipeliner.Core.Model;
using Pipeliner.Core.Planning;
using Pipeliner.Core.Reporting;

namespace Pipeliner.Cli.Commands;

/// <summary>The human form of a plan: a header saying whether a run is created, then one row per job.</summary>
internal static class PlanTable
{
    private const int MaxNeedsShown = 4;

    public static void Write(TextWriter output, TriggerContext context, PlanReport report)
    {
        var subject = context.Event switch
        {
            EventKind.Tag => $"tag {context.Tag}",
            EventKind.PullRequest => $"pull request into {context.Branch}",
            _ when context.Branch is not null => $"{context.Event.ToName()} on {context.Branch}",
            _ => context.Event.ToName(),
        };
        if (!report.Triggered)
        {
            output.WriteLine($"{subject}: no run ({report.Reason})");
            return;
        }

        var counts = report.Jobs.GroupBy(j => j.Decision).Select(g => $"{g.Count()} {g.Key}");
        output.WriteLine($"{subject}: a run with {report.Jobs.Count} job(s): {string.Join(", ", counts)}");
        output.WriteLine();

        var idWidth = Math.Max(3, report.Jobs.Max(j => j.Id.Length));
        var stageWidth = Math.Max(5, report.Jobs.Max(j => j.Stage.Length));
        output.WriteLine($"{"JOB".PadRight(idWidth)}  {"STAGE".PadRight(stageWidth)}  {"DECISION",-8}  NEEDS / REASON");
        foreach (var job in report.Jobs)
        {
            var detail = job.Reason ?? Needs(job.Needs);
            output.WriteLine($"{job.Id.PadRight(idWidth)}  {job.Stage.PadRight(stageWidth)}  {job.Decision,-8}  {detail}".TrimEnd());
            if (job.Reason is not null && job.Needs.Count > 0)
                output.WriteLine($"{"".PadRight(idWidth + stageWidth + 14)}{Needs(job.Needs)}");
        }
    }

    private static string Needs(IReadOnlyList<string> needs) => needs.Count switch
    {
        0 => "",
        <= MaxNeedsShown => "needs " + string.Join(", ", needs),
        _ => $"needs {string.Join(", ", needs.Take(MaxNeedsShown))} and {needs.Count - MaxNeedsShown} more",
    };
}
