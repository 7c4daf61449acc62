using Pipeliner.Core.Model;
using Pipeliner.Server.Artifacts;
using Pipeliner.Server.Retention;

namespace Pipeliner.Server.Tests.Retention;

public sealed class RetentionPlannerTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    private static RetainedRun Run(long id, string group, int daysAgo, bool removable = true, bool expired = false, long bytes = 0) =>
        new(id, (int)id, group, Now.AddDays(-daysAgo), removable, expired, bytes);

    [Fact]
    public void PlanRuns_RemovesRunsOlderThanMaxAge_ButNeverProtectedOrExpiredOnes()
    {
        var runs = new[] { Run(1, "branch/main", 40), Run(2, "branch/main", 35, removable: false), Run(3, "branch/main", 31, expired: true), Run(4, "branch/main", 2) };

        var plan = RetentionPlanner.PlanRuns(runs, new RetentionLimits(null, 30, null), RetentionPart.Logs, Now);

        Assert.Equal([new RunExpiry(1, "the project keeps 30 days")], plan);
    }

    [Fact]
    public void PlanRuns_KeepsTheNewestNOfEachBranch_WhenKeepLastPerBranchIsSet()
    {
        var runs = new[] { Run(1, "branch/main", 5), Run(2, "branch/dev", 4), Run(3, "branch/main", 3), Run(4, "branch/main", 2), Run(5, "branch/dev", 1) };

        var plan = RetentionPlanner.PlanRuns(runs, new RetentionLimits(2, null, null), RetentionPart.Artifacts, Now);

        Assert.Equal([1L], plan.Select(e => e.RunId));
        Assert.Equal("the project keeps the last 2 runs of each branch", plan[0].Reason);
    }

    [Fact]
    public void PlanRuns_RemovesTheOldestFirst_UntilWhatIsKeptFitsTheSizeCap()
    {
        var mib = 1L << 20;
        var runs = new[]
        {
            Run(1, "branch/main", 9, removable: false, bytes: 4 * mib), Run(2, "branch/main", 8, bytes: 3 * mib),
            Run(3, "branch/main", 7, bytes: 3 * mib), Run(4, "branch/main", 6, bytes: 3 * mib), Run(5, "branch/main", 5, bytes: 3 * mib),
        };

        var plan = RetentionPlanner.PlanRuns(runs, new RetentionLimits(null, null, new ByteSize(10 * mib)), RetentionPart.Logs, Now);

        // 16 MiB kept: the pinned run 1 stays, 2 and 3 go (10 MiB left).
        Assert.Equal([2L, 3L], plan.Select(e => e.RunId));
        Assert.All(plan, e => Assert.Equal("the project keeps at most 10Mi of logs", e.Reason));
    }

    [Fact]
    public void PlanRuns_RemovesNothing_WhenThereIsNoLimit()
    {
        Assert.Empty(RetentionPlanner.PlanRuns([Run(1, "branch/main", 4000)], RetentionLimits.None, RetentionPart.Logs, Now));
    }

    [Fact]
    public void PlanCaches_AppliesAgeKeepAndSize_PerScope()
    {
        var mib = 1L << 20;
        CacheEntry Cache(string scope, string key, int daysAgo, long bytes) => new("p", scope, key, bytes, Now.AddDays(-daysAgo));
        var old = Cache("branch_main", "deps-a", 10, mib);
        var second = Cache("branch_main", "deps-b", 3, 2 * mib);
        var newest = Cache("branch_main", "deps-c", 1, 2 * mib);
        var other = Cache("pull_7", "deps-a", 2, 2 * mib);

        var plan = RetentionPlanner.PlanCaches([old, second, newest, other], new RetentionLimits(2, 7, new ByteSize(3 * mib)), Now);

        // 6 MiB left after the old one: the oldest of the rest go until 3 MiB fit, whatever their scope.
        Assert.Equal(
            [
                new CacheExpiry(old, "the project keeps 7 days"), new CacheExpiry(second, "the project keeps at most 3Mi of caches"),
                new CacheExpiry(other, "the project keeps at most 3Mi of caches"),
            ],
            plan);
        Assert.DoesNotContain(plan, e => e.Cache == newest);
    }
}
