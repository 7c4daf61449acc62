using Pipeliner.Core.Model;
using Pipeliner.Core.Planning;
using Pipeliner.Core.Tests.Support;

namespace Pipeliner.Core.Tests.Planning;

public class PipelinePlannerTests
{
    [Fact]
    public void Plan_ReturnsNoJobsAndTheReason_WhenTheEventDoesNotTriggerThePipeline()
    {
        var plan = Pipelines.Plan("""
            name: shop
            on: { push: { branches: [main] } }
            stages: [build]
            jobs:
              build: { stage: build, image: alpine:3, script: [make] }
            """, Events.Push("develop"));

        Assert.False(plan.Triggered);
        Assert.Equal("on.push.branches: branch 'develop' matches none of main", plan.Reason);
        Assert.Empty(plan.Jobs);
        Assert.Equal("shop", plan.PipelineName);
        Assert.Equal(["build"], plan.Stages);
    }

    [Theory]
    [InlineData("on_success", JobDecision.Run, null)]
    [InlineData("on_failure", JobDecision.Run, "when: on_failure: runs only if a job it depends on fails")]
    [InlineData("always", JobDecision.Run, "when: always: runs whatever happens before it")]
    [InlineData("manual", JobDecision.Manual, "when: manual: waits for someone to start it")]
    public void Plan_DecidesFromWhen_WhenTheJobsConditionMatches(string when, JobDecision decision, string? reason)
    {
        var plan = Pipelines.Plan($$"""
            stages: [build, deploy]
            jobs:
              build: { stage: build, image: alpine:3, script: [make] }
              deploy: { stage: deploy, image: alpine:3, script: [ship], when: {{when}} }
            """, Events.Push("main"));

        var deploy = plan.Job("deploy");
        Assert.Equal(decision, deploy.Decision);
        Assert.Equal(reason, deploy.Reason);
        Assert.Equal(["build"], deploy.Needs);
    }

    [Fact]
    public void Plan_SkipsTheJobWithTheReason_WhenItsIfDoesNotMatch()
    {
        var plan = Pipelines.Plan("""
            stages: [deploy]
            jobs:
              prod: { stage: deploy, image: alpine:3, script: [ship], when: manual, if: { tags: ["v*"] } }
            """, Events.Push("main"));

        var prod = plan.Job("prod");
        Assert.Equal(JobDecision.Skip, prod.Decision);
        Assert.Equal("if.tags: this event has no tag", prod.Reason);
    }

    [Fact]
    public void Plan_PropagatesSkipAlongExplicitNeeds_NamingTheSkippedNeed()
    {
        var plan = Pipelines.Plan("""
            stages: [build, deploy, verify]
            jobs:
              build: { stage: build, image: x, script: [b] }
              deploy: { stage: deploy, image: x, script: [d], needs: [build], if: { branches: [main] } }
              smoke: { stage: verify, image: x, script: [s], needs: [deploy] }
              report: { stage: verify, image: x, script: [r], needs: [smoke] }
            """, Events.Push("develop"));

        Assert.Equal(
            [
                ("build", JobDecision.Run, null),
                ("deploy", JobDecision.Skip, "if.branches: branch 'develop' matches none of main"),
                ("smoke", JobDecision.Skip, "needs 'deploy', which is skipped"),
                ("report", JobDecision.Skip, "needs 'smoke', which is skipped"),
            ],
            plan.Jobs.Select(j => (j.Id, j.Decision, j.Reason)));
    }

    [Fact]
    public void Plan_DoesNotPropagateSkipThroughStageOrder_WhenAJobHasNoNeeds()
    {
        var plan = Pipelines.Plan("""
            stages: [build, deploy, verify]
            jobs:
              build: { stage: build, image: x, script: [b] }
              deploy: { stage: deploy, image: x, script: [d], if: { branches: [main] } }
              notify: { stage: deploy, image: x, script: [n] }
              smoke: { stage: verify, image: x, script: [s] }
            """, Events.Push("develop"));

        var smoke = plan.Job("smoke");
        Assert.Equal(JobDecision.Run, smoke.Decision);
        Assert.Null(smoke.Reason);
        // Waits for every job of every earlier stage that is not skipped.
        Assert.Equal(["build", "notify"], smoke.Needs);
        Assert.True(smoke.NeedsFromStages);
    }

    [Theory]
    [InlineData("always", JobDecision.Run)]
    [InlineData("on_success", JobDecision.Skip)]
    [InlineData("on_failure", JobDecision.Skip)]
    [InlineData("manual", JobDecision.Skip)]
    public void Plan_SkipsAJobWhoseNeedIsSkipped_UnlessItsWhenIsAlways(string when, JobDecision expected)
    {
        var plan = Pipelines.Plan($$"""
            stages: [deploy, after]
            jobs:
              deploy: { stage: deploy, image: x, script: [d], if: { events: [tag] } }
              cleanup: { stage: after, image: x, script: [c], needs: [deploy], when: {{when}} }
            """, Events.Push("main"));

        Assert.Equal(expected, plan.Job("cleanup").Decision);
        if (expected == JobDecision.Skip) Assert.Equal("needs 'deploy', which is skipped", plan.Job("cleanup").Reason);
    }

    [Fact]
    public void Plan_SkipsAJobWhoseOwnIfFails_EvenWhenItsWhenIsAlways()
    {
        var plan = Pipelines.Plan("""
            stages: [after]
            jobs:
              cleanup: { stage: after, image: x, script: [c], when: always, if: { events: [schedule] } }
            """, Events.Push("main"));

        Assert.Equal(JobDecision.Skip, plan.Job("cleanup").Decision);
        Assert.Equal("if.events: 'push' is not one of schedule", plan.Job("cleanup").Reason);
    }

    [Fact]
    public void Plan_WaitsForEveryNonSkippedJobOfEveryEarlierStage_WhenAJobHasNoNeeds()
    {
        var plan = Pipelines.Plan("""
            stages: [lint, test, package, deploy]
            jobs:
              style: { stage: lint, image: x, script: [s] }
              unit: { stage: test, image: x, script: [u] }
              e2e: { stage: test, image: x, script: [e], if: { events: [schedule] } }
              gate: { stage: test, image: x, script: [g], when: manual }
              image: { stage: package, image: x, script: [i] }
              ship: { stage: deploy, image: x, script: [d] }
            """, Events.Push("main"));

        Assert.Equal([], plan.Job("style").Needs);
        Assert.Equal(["style"], plan.Job("unit").Needs);
        Assert.Equal(["style", "unit", "gate"], plan.Job("image").Needs);
        Assert.Equal(["style", "unit", "gate", "image"], plan.Job("ship").Needs);
        Assert.All(plan.Jobs, j => Assert.True(j.NeedsFromStages));
    }

    [Fact]
    public void Plan_ListsExplicitNeedsOnly_WhenAJobHasNeeds()
    {
        var plan = Pipelines.Plan("""
            stages: [build, test]
            jobs:
              compile: { stage: build, image: x, script: [c] }
              lint: { stage: build, image: x, script: [l] }
              unit: { stage: test, image: x, script: [u], needs: [compile] }
              quick: { stage: test, image: x, script: [q], needs: [] }
            """, Events.Push("main"));

        Assert.Equal(["compile"], plan.Job("unit").Needs);
        Assert.False(plan.Job("unit").NeedsFromStages);
        Assert.Equal([], plan.Job("quick").Needs);
        Assert.False(plan.Job("quick").NeedsFromStages);
    }

    [Fact]
    public void Plan_WaitsForEveryMatrixInstance_WhenAJobNeedsAMatrixJob()
    {
        var plan = Pipelines.Plan("""
            stages: [test, report]
            jobs:
              unit: { stage: test, image: "${OS}", script: [u], matrix: { OS: [alpine, debian], V: ["1", "2"] } }
              report: { stage: report, image: x, script: [r], needs: [unit] }
            """, Events.Push("main"));

        Assert.Equal(["unit (alpine, 1)", "unit (alpine, 2)", "unit (debian, 1)", "unit (debian, 2)", "report"], plan.Jobs.Select(j => j.Id));
        Assert.Equal(["unit (alpine, 1)", "unit (alpine, 2)", "unit (debian, 1)", "unit (debian, 2)"], plan.Job("report").Needs);
    }

    [Fact]
    public void Plan_SkipsEveryInstanceAndTheirDependents_WhenAMatrixJobsIfFails()
    {
        var plan = Pipelines.Plan("""
            stages: [test, report]
            jobs:
              unit: { stage: test, image: x, script: [u], matrix: { OS: [alpine, debian] }, if: { branches: [main] } }
              report: { stage: report, image: x, script: [r], needs: [unit] }
            """, Events.Push("develop"));

        Assert.All(plan.Jobs, j => Assert.Equal(JobDecision.Skip, j.Decision));
        Assert.Equal("needs 'unit (alpine)', which is skipped", plan.Job("report").Reason);
    }

    [Fact]
    public void Plan_OrdersJobsByStageThenNeedsThenFileOrder_WhenTheFileOrderDiffers()
    {
        var plan = Pipelines.Plan("""
            stages: [build, test]
            jobs:
              unit: { stage: test, image: x, script: [u] }
              report: { stage: build, image: x, script: [r], needs: [compile, docs] }
              docs: { stage: build, image: x, script: [d], needs: [compile] }
              lint: { stage: build, image: x, script: [l] }
              compile: { stage: build, image: x, script: [c] }
            """, Events.Push("main"));

        Assert.Equal(["lint", "compile", "docs", "report", "unit"], plan.Jobs.Select(j => j.Id));
    }

    [Fact]
    public void Plan_OrdersALongChainWrittenBackwards_InDependencyOrder()
    {
        var yaml = new System.Text.StringBuilder("stages: [build]\njobs:\n");
        for (var i = 2_000; i > 0; i--) yaml.Append($"  j{i}: {{ stage: build, image: x, script: [s], needs: [j{i - 1}] }}\n");
        yaml.Append("  j0: { stage: build, image: x, script: [s] }\n");

        var plan = Pipelines.Plan(yaml.ToString(), Events.Push("main"));

        Assert.Equal(Enumerable.Range(0, 2_001).Select(i => $"j{i}"), plan.Jobs.Select(j => j.Id));
    }

    [Fact]
    public void Plan_CarriesTheContextAndStages_WhenTriggered()
    {
        var context = Events.Tag("v1.2.3");

        var plan = Pipelines.Plan("stages: [build, empty]\njobs:\n  build: { stage: build, image: x, script: [b] }", context);

        Assert.True(plan.Triggered);
        Assert.Null(plan.Reason);
        Assert.Same(context, plan.Context);
        Assert.Equal(["build", "empty"], plan.Stages);
        Assert.Null(plan.PipelineName);
    }

    [Fact]
    public void Plan_CopiesTheRunSettingsIntoTheSpec_WhenAJobIsPlanned()
    {
        var plan = Pipelines.Plan("""
            stages: [deploy]
            jobs:
              ship:
                stage: deploy
                image: "alpine:${V}"
                script: [./ship.sh]
                matrix: { V: ["3"] }
                environment: dit
                services: [{ name: db, image: postgres }]
                artifacts: { paths: [out/] }
                cache: { key: deps, paths: [.cache/] }
                secrets: [TOKEN]
                timeout: 5m
                retry: 2
                allow_failure: true
                when: manual
                runs-on: [linux]
                resources: { cpus: 2, memory: 1Gi }
            """, Events.Push("main"));

        var spec = plan.Job("ship (3)").Spec;
        Assert.Equal("ship", spec.Name);
        Assert.Equal("alpine:3", spec.Image);
        Assert.Equal(["./ship.sh"], spec.Script);
        Assert.Equal("dit", spec.Environment);
        Assert.Equal("db", Assert.Single(spec.Services).Name);
        Assert.Equal(["out/"], spec.Artifacts?.Paths);
        Assert.Equal("deps", spec.Cache?.Key);
        Assert.Equal(["TOKEN"], spec.Secrets);
        Assert.Equal(TimeSpan.FromMinutes(5), spec.Timeout);
        Assert.Equal(2, spec.Retry);
        Assert.True(spec.AllowFailure);
        Assert.Equal(WhenPolicy.Manual, spec.When);
        Assert.Equal(["linux"], spec.RunsOn);
        Assert.Equal(new ResourceLimits(2m, new ByteSize(1L << 30)), spec.Resources);
    }
}
