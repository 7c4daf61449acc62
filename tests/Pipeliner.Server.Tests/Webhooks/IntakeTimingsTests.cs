using System.Linq.Expressions;
using System.Text.RegularExpressions;
using Pipeliner.Server.Webhooks;

namespace Pipeliner.Server.Tests.Webhooks;

/// <summary>What a webhook's Debug line says about where its answer's time went (read by deploy/bench/scale-benchmarks.py).</summary>
public sealed class IntakeTimingsTests
{
    [Fact]
    public void ToString_ListsTheStepsThenWhatTheProcessDidMeanwhile_WhenStepsWereMarked()
    {
        var timings = new IntakeTimings();
        timings.Mark("project");
        timings.Mark("stored");

        Assert.Matches(new Regex(
            @"^project [\d.]+ ms( \[[\d.]+ waiting for a core\])?, stored [\d.]+ ms( \[[\d.]+ waiting for a core\])?; gc pauses [\d.]+ ms in \d+ collections, queued work items \d+, jit \d+ methods [\d.]+ ms, major faults \d+$"),
            timings.ToString());
    }

    [Fact]
    public void ToString_CountsTheMethodsCompiled_WhenCodeRunsForTheFirstTimeDuringTheRequest()
    {
        var timings = new IntakeTimings();
        var parameter = Expression.Parameter(typeof(int));
        var neverRunBefore = Expression.Lambda<Func<int, int>>(Expression.Multiply(parameter, Expression.Constant(7)), parameter).Compile();
        Assert.Equal(42, neverRunBefore(6));

        var compiled = int.Parse(Regex.Match(timings.ToString(), @"jit (\d+) methods").Groups[1].Value);
        Assert.True(compiled >= 1, $"methods compiled during the timings: {compiled}");
    }

    [Fact]
    public void Mark_PutsWhatTheStepWaitedForInBracketsWithoutUnits_WhenGivenADetail()
    {
        var timings = new IntakeTimings();
        timings.Mark("project");
        timings.Mark("stored", "journal: writer removal, taken after 4.4 (0.8 waiting for a core), written in 11.2 (4.4 waiting for a core)");
        timings.Mark("checked");

        var steps = timings.ToString().Split(';')[0];
        Assert.Contains("stored ", steps);
        Assert.Contains("[journal: writer removal, taken after 4.4", steps);
        // scale-benchmarks.py takes every "name N ms" of the steps for a step.
        Assert.Equal(["project", "stored", "checked"], Regex.Matches(steps, @"(\w+) ([\d.]+) ms").Select(m => m.Groups[1].Value));
    }
}
