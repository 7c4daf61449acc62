namespace Pipeliner.Server.Retention;

/// <summary>
/// What retention knows of a run: its branch group (the branch, tag or pull request it ran for), whether it may lose
/// anything at all (finished, not protected) and, per part, whether that part is gone already and what it takes.
/// </summary>
public sealed record RetainedRun(long Id, int Number, string Group, DateTimeOffset FinishedAt, bool Removable, bool Expired, long Bytes);

/// <summary>A part of a run to remove and the rule that removes it, in words.</summary>
public sealed record RunExpiry(long RunId, string Reason);

/// <summary>A cache to remove and why.</summary>
public sealed record CacheExpiry(Artifacts.CacheEntry Cache, string Reason);

/// <summary>
/// Decides what retention removes, from facts alone (no I/O): one part (logs or artifacts) of a project's runs under that
/// part's limits, or a project's caches. The rules, in order: older than <c>maxAgeDays</c>; beyond the newest
/// <c>keepLastPerBranch</c> of its branch; then, while what is kept is above <c>maxSize</c>, the oldest first. Runs
/// that are not removable (unfinished, pinned, deployed now, the latest of the default branch) are counted but never chosen.
/// </summary>
public static class RetentionPlanner
{
    public static List<RunExpiry> PlanRuns(IReadOnlyList<RetainedRun> runs, RetentionLimits limits, RetentionPart part, DateTimeOffset now)
    {
        var chosen = new Dictionary<long, string>();
        bool Eligible(RetainedRun run) => run.Removable && !run.Expired && !chosen.ContainsKey(run.Id);

        if (limits.MaxAgeDays is { } days)
        {
            var oldest = now.AddDays(-days);
            foreach (var run in runs.Where(r => r.FinishedAt < oldest && Eligible(r))) chosen[run.Id] = RetentionLimits.AgeRule(days);
        }

        if (limits.KeepLastPerBranch is { } keep)
        {
            foreach (var group in runs.GroupBy(r => r.Group, StringComparer.Ordinal))
            foreach (var run in group.OrderByDescending(r => r.Number).Skip(keep).Where(Eligible))
                chosen[run.Id] = RetentionLimits.KeepRule(keep, part);
        }

        if (limits.MaxSize is { } cap)
        {
            var kept = runs.Where(r => !r.Expired && !chosen.ContainsKey(r.Id)).Sum(r => r.Bytes);
            foreach (var run in runs.OrderBy(r => r.Number))
            {
                if (kept <= cap.Bytes) break;
                if (!Eligible(run) || run.Bytes == 0) continue;
                chosen[run.Id] = RetentionLimits.SizeRule(cap, part);
                kept -= run.Bytes;
            }
        }

        return runs.Where(r => chosen.ContainsKey(r.Id)).OrderBy(r => r.Number).Select(r => new RunExpiry(r.Id, chosen[r.Id])).ToList();
    }

    public static List<CacheExpiry> PlanCaches(IReadOnlyList<Artifacts.CacheEntry> caches, RetentionLimits limits, DateTimeOffset now)
    {
        var chosen = new Dictionary<Artifacts.CacheEntry, string>();
        if (limits.MaxAgeDays is { } days)
        {
            var oldest = now.AddDays(-days);
            foreach (var cache in caches.Where(c => c.SavedAt < oldest)) chosen[cache] = RetentionLimits.AgeRule(days);
        }

        if (limits.KeepLastPerBranch is { } keep)
        {
            foreach (var scope in caches.GroupBy(c => c.Scope, StringComparer.Ordinal))
            foreach (var cache in scope.OrderByDescending(c => c.SavedAt).Skip(keep).Where(c => !chosen.ContainsKey(c)))
                chosen[cache] = RetentionLimits.KeepRule(keep, RetentionPart.Caches);
        }

        if (limits.MaxSize is { } cap)
        {
            var kept = caches.Where(c => !chosen.ContainsKey(c)).Sum(c => c.Bytes);
            foreach (var cache in caches.OrderBy(c => c.SavedAt))
            {
                if (kept <= cap.Bytes) break;
                if (chosen.ContainsKey(cache)) continue;
                chosen[cache] = RetentionLimits.SizeRule(cap, RetentionPart.Caches);
                kept -= cache.Bytes;
            }
        }

        return caches.Where(chosen.ContainsKey).OrderBy(c => c.SavedAt).Select(c => new CacheExpiry(c, chosen[c])).ToList();
    }
}
