using Pipeliner.Core.Model;

namespace Pipeliner.Core.Planning;

/// <summary>Decides whether an event creates a run (<c>on</c>) and whether a job's <c>if</c> matches.</summary>
public static class EventMatcher
{
    /// <returns>Null when the pipeline is triggered, otherwise why not.</returns>
    public static string? WhyNotTriggered(Triggers triggers, TriggerContext context)
    {
        switch (context.Event)
        {
            case EventKind.Push:
                return triggers.Push is { } push
                    ? RefMismatch(push.Refs, context.Branch, "on.push.branches", "branch")
                      ?? PathMismatch(push.Paths, context.ChangedPaths, "on.push.paths")
                    : "the pipeline's 'on' does not include branch pushes";
            case EventKind.Tag:
                return triggers.Tag is { } tag
                    ? RefMismatch(tag.Refs, context.Tag, "on.push.tags", "tag")
                    : "the pipeline's 'on' does not include tag pushes";
            case EventKind.PullRequest:
                return triggers.PullRequest is { } pr
                    ? RefMismatch(pr.Refs, context.Branch, "on.pull_request.branches", "target branch")
                      ?? PathMismatch(pr.Paths, context.ChangedPaths, "on.pull_request.paths")
                    : "the pipeline's 'on' does not include pull requests";
            case EventKind.Schedule:
                return triggers.Schedules.Count > 0 ? null : "the pipeline's 'on' has no schedule";
            case EventKind.Manual:
                return triggers.Manual ? null : "the pipeline's 'on' does not allow manual runs";
            default:
                throw new ArgumentOutOfRangeException(nameof(context), context.Event, "unknown event");
        }
    }

    /// <returns>Null when every given filter of the job's <c>if</c> matches, otherwise the first that does not.</returns>
    public static string? WhyConditionFails(JobCondition condition, TriggerContext context)
    {
        if (condition.Events is { } events && !events.Contains(context.Event))
            return $"if.events: '{context.Event.ToName()}' is not one of {string.Join(", ", events.Select(e => e.ToName()))}";
        return RefMismatch(condition.Branches, context.Branch, "if.branches", "branch")
               ?? RefMismatch(condition.Tags, context.Tag, "if.tags", "tag")
               ?? PathMismatch(condition.Paths, context.ChangedPaths, "if.paths");
    }

    private static string? RefMismatch(IReadOnlyList<GlobPattern>? patterns, string? name, string filter, string what)
    {
        if (patterns is null) return null;
        if (name is null) return $"{filter}: this event has no {what}";
        return patterns.Any(p => p.IsMatch(name))
            ? null
            : $"{filter}: {what} '{name}' matches none of {string.Join(", ", patterns)}";
    }

    private static string? PathMismatch(IReadOnlyList<GlobPattern>? patterns, IReadOnlyList<string>? changed, string filter)
    {
        if (patterns is null || changed is null) return null;
        return changed.Any(path => patterns.Any(p => p.IsMatch(path)))
            ? null
            : $"{filter}: none of the {changed.Count} changed file(s) matches {string.Join(", ", patterns)}";
    }
}
