using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Core;
using Pipeliner.Core.Model;
using Pipeliner.Core.Planning;
using Pipeliner.Core.Runs;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Scheduling;

namespace Pipeliner.Server.Tests.Scheduling;

public sealed class RunAggregateCacheTests : IAsyncDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddScoped<ScopeEnd>().BuildServiceProvider();

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    [Fact]
    public async Task PutAsync_KeepsEveryQueuedRunOfABurst_WhenTheyAreFewerThanTheCapacity()
    {
        await using var cache = new RunAggregateCache();
        var runs = Enumerable.Range(1, 100).Select(id => Loaded(id, jobs: 1)).ToList();
        foreach (var (id, loaded, _) in runs) await cache.PutAsync(id, loaded);

        // A burst's oldest run is changed again when an agent claims its job: it is still there, not read again.
        Assert.Same(runs[0].Loaded, cache.Take(1));
        Assert.All(runs, run => Assert.False(run.End.Disposed));
    }

    [Fact]
    public async Task PutAsync_DropsTheLeastRecentlyChangedRuns_WhenTheirJobsExceedTheBudget()
    {
        await using var cache = new RunAggregateCache();
        var small = Loaded(1, jobs: 1);
        var large = Loaded(2, jobs: RunAggregateCache.JobBudget);
        var larger = Loaded(3, jobs: RunAggregateCache.JobBudget * 2);
        await cache.PutAsync(1, small.Loaded);
        await cache.PutAsync(2, large.Loaded);
        await cache.PutAsync(3, larger.Loaded);

        // The newest stays whatever its size; of the others only as many jobs as the budget.
        Assert.True(small.End.Disposed);
        Assert.False(large.End.Disposed);
        Assert.Null(cache.Take(1));
        Assert.Same(larger.Loaded, cache.Take(3));
        Assert.Same(large.Loaded, cache.Take(2));
    }

    [Fact]
    public async Task PutAsync_DropsTheOldestRun_WhenTheCapacityIsReached()
    {
        await using var cache = new RunAggregateCache();
        var runs = Enumerable.Range(1, RunAggregateCache.Capacity + 1).Select(id => Loaded(id, jobs: 1)).ToList();
        foreach (var (id, loaded, _) in runs) await cache.PutAsync(id, loaded);

        Assert.True(runs[0].End.Disposed);
        Assert.Null(cache.Take(1));
        Assert.Equal(RunAggregateCache.Capacity, cache.Count);
    }

    private const string OneJob = """
        stages: [test]
        jobs:
          build:
            stage: test
            image: alpine:3
            script: ["true"]
        """;

    private (long Id, LoadedRun Loaded, ScopeEnd End) Loaded(long id, int jobs)
    {
        var scope = _services.CreateAsyncScope();
        var entity = new RunEntity
        {
            Id = id, Status = "queued", Event = "push", CommitSha = new string('a', 40), Trigger = "push",
            Jobs = Enumerable.Range(0, jobs).Select(i => new JobEntity { JobId = $"job-{i}", Stage = "test", Status = "queued" }).ToList(),
        };
        var context = new TriggerContext { Event = EventKind.Push, Branch = "main", Project = "p", RunId = $"{id}", CommitSha = new string('a', 40) };
        var plan = PipelinePlanner.Plan(PipelineLoader.Load(OneJob).Pipeline!, context);
        return (id, new LoadedRun(scope, entity, new Run($"{id}", plan, DateTimeOffset.UnixEpoch)), scope.ServiceProvider.GetRequiredService<ScopeEnd>());
    }

    private sealed class ScopeEnd : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }
}
