using Pipeliner.Core.Diagnostics;
using Pipeliner.Core.Tests.Support;

namespace Pipeliner.Core.Tests.Compilation;

public class NeedsResolverTests
{
    // Lines 1 to 10; cases add lines or change them.
    private const string TwoStages = """
        stages: [build, test]
        jobs:
          build:
            stage: build
            image: alpine:3
            script: [make]
          unit:
            stage: test
            image: alpine:3
            script: [test]

        """;

    public static TheoryData<string, int, int, string> Errors => new()
    {
        { TwoStages + "    needs: [biuld]", 11, 13, "jobs.unit.needs: unknown job 'biuld' (did you mean 'build'?)" },
        { TwoStages + "    needs: [build, deploy]", 11, 20, "jobs.unit.needs: unknown job 'deploy'" },
        { TwoStages + "    needs: UNIT", 11, 12, "jobs.unit.needs: unknown job 'UNIT' (did you mean 'unit'?)" },
        {
            TwoStages.Replace("    script: [make]", "    script: [make]\n    needs: [unit]"), 7, 13,
            "jobs.build.needs: 'unit' runs in the later stage 'test'; a job can only need jobs of its own stage ('build') or earlier ones"
        },
        { OneStage("a: [c]", "b: [a]", "c: [b]"), 3, 52, "jobs.a.needs: cycle a -> c -> b -> a" },
        { OneStage("a: [b]", "b: [a]"), 3, 52, "jobs.a.needs: cycle a -> b -> a" },
        { OneStage("a: [a]"), 3, 52, "jobs.a.needs: cycle a -> a" },
        { OneStage("a: []", "b: [c]", "c: [d]", "d: [b]"), 4, 52, "jobs.b.needs: cycle b -> c -> d -> b" },
        // The shortest way back: b -> a -> b, not b -> c -> a -> b.
        { OneStage("a: [b]", "b: [c, a]", "c: [a]"), 3, 52, "jobs.a.needs: cycle a -> b -> a" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Load_ReportsOneErrorAtTheNeeds_WhenANeedIsInvalid(string yaml, int line, int column, string message)
    {
        Pipelines.AssertSingleError(yaml, line, column, message);
    }

    [Fact]
    public void Load_ReportsEachCycleOnce_WhenThereAreSeveral()
    {
        var errors = Pipelines.Errors(OneStage("a: [b]", "b: [a]", "c: [d]", "d: [c]", "e: [a, c]"));

        Assert.Equal(
            [
                new Diagnostic(new SourceLocation(3, 52), "jobs.a.needs: cycle a -> b -> a"),
                new Diagnostic(new SourceLocation(5, 52), "jobs.c.needs: cycle c -> d -> c"),
            ],
            errors);
    }

    [Fact]
    public void Load_ReportsTheCycle_WhenItGoesThroughAMatrixInstance()
    {
        const string yaml = """
            stages: [test]
            jobs:
              unit: { stage: test, image: x, script: [t], matrix: { OS: [alpine, debian] }, needs: [report] }
              report: { stage: test, image: x, script: [r], needs: ["unit (debian)"] }
            """;

        Pipelines.AssertSingleError(yaml, 3, 88, "jobs.unit.needs: cycle unit -> report -> unit");
    }

    [Fact]
    public void Load_ResolvesNeedsToInstanceIds_WhenAJobNeedsAMatrixJob()
    {
        var pipeline = Pipelines.Valid("""
            stages: [test, report]
            jobs:
              unit: { stage: test, image: x, script: [t], matrix: { OS: [alpine, debian], V: ["1", "2"] } }
              all: { stage: report, image: x, script: [r], needs: [unit] }
              one: { stage: report, image: x, script: [r], needs: ["unit (debian, 2)"] }
              twice: { stage: report, image: x, script: [r], needs: [unit, "unit (alpine, 1)", unit] }
            """);

        var byId = pipeline.Jobs.ToDictionary(j => j.Id);
        Assert.Equal(["unit (alpine, 1)", "unit (alpine, 2)", "unit (debian, 1)", "unit (debian, 2)"], byId["all"].Needs);
        Assert.Equal(["unit (debian, 2)"], byId["one"].Needs);
        Assert.Equal(["unit (alpine, 1)", "unit (alpine, 2)", "unit (debian, 1)", "unit (debian, 2)"], byId["twice"].Needs);
    }

    [Fact]
    public void Load_KeepsNeedsNull_WhenAJobDependsOnStageOrder()
    {
        var pipeline = Pipelines.Valid(TwoStages + "  lint: { stage: build, image: x, script: [l], needs: [] }");

        Assert.Null(pipeline.Jobs.Single(j => j.Id == "unit").Needs);
        Assert.Equal([], pipeline.Jobs.Single(j => j.Id == "lint").Needs);
    }

    [Fact]
    public void Load_AcceptsNeedsOnTheSameAndEarlierStages_WhenTheyFormNoCycle()
    {
        var pipeline = Pipelines.Valid(TwoStages + "    needs: [build, lint]\n  lint: { stage: test, image: x, script: [l], needs: [build] }");

        Assert.Equal(["build", "lint"], pipeline.Jobs.Single(j => j.Id == "unit").Needs);
    }

    [Fact]
    public void Load_HandlesALongChainOfNeeds_WithoutRecursion()
    {
        var yaml = new System.Text.StringBuilder("stages: [build]\njobs:\n  j0: { stage: build, image: x, script: [s] }\n");
        for (var i = 1; i < 5_000; i++) yaml.Append($"  j{i}: {{ stage: build, image: x, script: [s], needs: [j{i - 1}] }}\n");
        yaml.Append("  j0x: { stage: build, image: x, script: [s], needs: [j4999] }\n");

        var pipeline = Pipelines.Valid(yaml.ToString());

        Assert.Equal(5_001, pipeline.Jobs.Count);
    }

    /// <summary>A one-stage pipeline whose jobs are written as "id: [needs]"; job lines start at line 3.</summary>
    private static string OneStage(params string[] jobs) =>
        "stages: [build]\njobs:\n" + string.Concat(jobs.Select(job =>
        {
            var (id, needs) = (job[..job.IndexOf(':')], job[(job.IndexOf(':') + 2)..]);
            // "  a: { stage: build, image: x, script: [x], needs: " is 51 characters: needs start at column 52.
            return $"  {id}: {{ stage: build, image: x, script: [x], needs: {needs} }}\n";
        }));
}
