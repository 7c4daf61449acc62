using Pipeliner.Core.Model;
using Pipeliner.Core.Syntax;

namespace Pipeliner.Core.Compilation;

/// <summary>Compiles the pipeline's <c>on</c> into <see cref="Triggers"/>.</summary>
internal static class TriggerCompiler
{
    public static Triggers Compile(TriggersSyntax? syntax, ValueParser parse)
    {
        if (syntax is null) return Triggers.Default;
        if (syntax.Events is { } events) return FromEventList(events, parse);

        var triggers = new Triggers { Manual = parse.Boolean(syntax.Manual, "on.manual") ?? true };
        if (syntax.Push is { } push)
        {
            var branches = parse.Globs(push.Branches, "on.push.branches");
            var tags = parse.Globs(push.Tags, "on.push.tags");
            var paths = parse.Globs(push.Paths, "on.push.paths");
            // As in GitHub Actions: naming only tags (or only branches) limits pushes to that kind of ref.
            var onlyTags = branches is null && tags is not null;
            var onlyBranches = tags is null && branches is not null;
            triggers = triggers with
            {
                Push = onlyTags ? null : new RefTrigger(branches, paths),
                Tag = onlyBranches ? null : new RefTrigger(tags, null),
            };
        }

        if (syntax.PullRequest is { } pullRequest)
        {
            triggers = triggers with
            {
                PullRequest = new RefTrigger(
                    parse.Globs(pullRequest.Branches, "on.pull_request.branches"),
                    parse.Globs(pullRequest.Paths, "on.pull_request.paths")),
            };
        }

        if (syntax.Schedule is { } schedule)
            triggers = triggers with { Schedules = CompileSchedules(schedule, parse) };
        return triggers;
    }

    private static List<CronSchedule> CompileSchedules(ScalarList list, ValueParser parse)
    {
        if (list.Items.Count == 0) parse.Error(list.Location, "on.schedule: list at least one cron expression, e.g. \"0 3 * * *\"");
        var schedules = new List<CronSchedule>();
        foreach (var item in list.Items)
        {
            if (CronSchedule.TryParse(item.Value, out var error) is { } cron) schedules.Add(cron);
            else parse.Error(item.Location, $"on.schedule: {error}");
        }

        return schedules;
    }

    private static Triggers FromEventList(ScalarList events, ValueParser parse)
    {
        var triggers = new Triggers { Manual = false };
        foreach (var item in events.Items)
        {
            switch (item.Value)
            {
                case "push": triggers = triggers with { Push = RefTrigger.Any }; break;
                case "tag": triggers = triggers with { Tag = RefTrigger.Any }; break;
                case "pull_request": triggers = triggers with { PullRequest = RefTrigger.Any }; break;
                case "manual": triggers = triggers with { Manual = true }; break;
                case "schedule":
                    parse.Error(item.Location, "on: 'schedule' needs cron expressions: write on: { schedule: [\"0 3 * * *\"] }");
                    break;
                default:
                    parse.Error(item.Location, $"on: unknown event '{item.Value}'{Text.Suggestions.Hint(item.Value, EventKindNames.Names)}");
                    break;
            }
        }

        return triggers;
    }
}
