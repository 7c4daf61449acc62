using Pipeliner.Core.Diagnostics;
using Pipeliner.Core.Model;
using Pipeliner.Core.Syntax;
using Pipeliner.Core.Tests.Support;

namespace Pipeliner.Core.Tests.Syntax;

public class PipelineSyntaxReaderTests
{
    // Every case starts from this valid pipeline (lines 1 to 6) and changes or adds lines.
    private const string Build = """
        stages: [build, test]
        jobs:
          build:
            stage: build
            image: alpine:3
            script: [make]

        """;

    public static TheoryData<string, int, int, string> UnknownKeys => new()
    {
        { "stages: [build, test]\nvaraibles: {A: b}\njobs: {b: {stage: build, image: x, script: [y]}}", 2, 1, "pipeline: unknown key 'varaibles' (did you mean 'variables'?)" },
        { Build + "stage: [build]", 7, 1, "pipeline: unknown key 'stage' (did you mean 'stages'?)" },
        { Build.Replace("    script: [make]", "    scirpt: [make]"), 6, 5, "jobs.build: unknown key 'scirpt' (did you mean 'script'?)" },
        { Build + "    retyr: 2", 7, 5, "jobs.build: unknown key 'retyr' (did you mean 'retry'?)" },
        { Build + "    allow-failure: true", 7, 5, "jobs.build: unknown key 'allow-failure' (did you mean 'allow_failure'?)" },
        { Build + "on: {pull-request: {branches: [main]}}", 7, 6, "on: unknown key 'pull-request' (did you mean 'pull_request'?)" },
        { Build + "on: {push: {branch: [main]}}", 7, 13, "on.push: unknown key 'branch' (did you mean 'branches'?)" },
        { Build + "on: {pull_request: {tags: [v1]}}", 7, 21, "on.pull_request: unknown key 'tags'" },
        { Build + "defaults: {imgae: alpine}", 7, 12, "defaults: unknown key 'imgae' (did you mean 'image'?)" },
        { Build + "    if: {branch: [main]}", 7, 10, "jobs.build.if: unknown key 'branch' (did you mean 'branches'?)" },
        { Build + "    services: [{name: db, image: postgres, comand: [x]}]", 7, 44, "jobs.build.services[0]: unknown key 'comand' (did you mean 'command'?)" },
        { Build + "    artifacts: {path: [dist/]}", 7, 17, "jobs.build.artifacts: unknown key 'path' (did you mean 'paths'?)" },
        { Build + "    cache: {keys: deps, paths: [x]}", 7, 13, "jobs.build.cache: unknown key 'keys' (did you mean 'key'?)" },
        { Build + "    resources: {cpu: 2}", 7, 17, "jobs.build.resources: unknown key 'cpu' (did you mean 'cpus'?)" },
    };

    [Theory]
    [MemberData(nameof(UnknownKeys))]
    public void Load_ReportsTheKeyWithASuggestion_WhenAKeyIsUnknown(string yaml, int line, int column, string message)
    {
        Pipelines.AssertSingleError(yaml, line, column, message);
    }

    [Fact]
    public void Load_ReportsNoSuggestion_WhenNoKnownKeyIsClose()
    {
        var error = Assert.Single(Pipelines.Errors(Build + "    colour: red"));

        Assert.Equal(new Diagnostic(new SourceLocation(7, 5), "jobs.build: unknown key 'colour'"), error);
    }

    public static TheoryData<string, int, int, string> WrongKinds => new()
    {
        { Build.Replace("stages: [build, test]", "stages: {build: x}"), 1, 9, "stages: expected a list of values, found a mapping" },
        { Build + "name: [a, b]", 7, 7, "name: expected a single value, found a list" },
        { Build + "variables: [A]", 7, 12, "variables: expected a mapping of names to values, found a list" },
        { Build + "variables: {A: [1]}", 7, 16, "variables.A: expected a single value, found a list" },
        { Build + "defaults: alpine", 7, 11, "defaults: expected a mapping, found a value" },
        { Build + "on: {push: [main]}", 7, 12, "on.push: expected a mapping, found a list" },
        { Build + "on: {schedule: {at: 3}}", 7, 16, "on.schedule: expected a list of values, found a mapping" },
        { Build.Replace("    stage: build", "    stage: [build]"), 4, 12, "jobs.build.stage: expected a single value, found a list" },
        { Build.Replace("    image: alpine:3", "    image: {name: alpine}"), 5, 12, "jobs.build.image: expected a single value, found a mapping" },
        { Build.Replace("    script: [make]", "    script: {run: make}"), 6, 13, "jobs.build.script: expected a list of values, found a mapping" },
        { Build.Replace("    script: [make]", "    script: [[make]]"), 6, 14, "jobs.build.script[0]: expected a single value, found a list" },
        { Build + "    needs: {build: x}", 7, 12, "jobs.build.needs: expected a list of values, found a mapping" },
        { Build + "    retry: [1]", 7, 12, "jobs.build.retry: expected a single value, found a list" },
        { Build + "    services: postgres", 7, 15, "jobs.build.services: expected a list of services, found a value" },
        { Build + "    services: [postgres]", 7, 16, "jobs.build.services[0]: expected a mapping, found a value" },
        { Build + "    services: [{name: [db], image: postgres}]", 7, 23, "jobs.build.services[0].name: expected a single value, found a list" },
        { Build + "    matrix: {OS: alpine}", 7, 18, "jobs.build.matrix.OS: expected a list of values, found a value" },
        { Build + "    matrix: [alpine]", 7, 13, "jobs.build.matrix: expected a mapping, found a list" },
        { Build + "    artifacts: [dist/]", 7, 16, "jobs.build.artifacts: expected a mapping, found a list" },
        { Build + "    artifacts: {paths: {dist: x}}", 7, 24, "jobs.build.artifacts.paths: expected a list of values, found a mapping" },
        { Build + "    cache: deps", 7, 12, "jobs.build.cache: expected a mapping, found a value" },
        { Build + "    if: [main]", 7, 9, "jobs.build.if: expected a mapping, found a list" },
        { Build + "  lint: [make]", 7, 9, "jobs.lint: expected a mapping, found a list" },
        { Build + "  lint:", 7, 3, "jobs.lint: a job needs at least 'stage' and 'script'" },
        { "stages: [build]\njobs: [build]", 2, 7, "jobs: expected a mapping, found a list" },
        // Values of the wrong type, found by the compiler.
        { Build + "    retry: two", 7, 12, "jobs.build.retry: expected a whole number, found 'two'" },
        { Build + "    allow_failure: maybe", 7, 20, "jobs.build.allow_failure: expected true or false, found 'maybe'" },
        { Build + "    resources: {cpus: lots}", 7, 23, "jobs.build.resources.cpus: expected a number of CPUs above 0 and at most 256, e.g. 0.5 or 2; found 'lots'" },
        { Build + "on: {manual: sometimes}", 7, 14, "on.manual: expected true or false, found 'sometimes'" },
    };

    [Theory]
    [MemberData(nameof(WrongKinds))]
    public void Load_ReportsOnlyTheWrongValue_WhenAValueHasTheWrongType(string yaml, int line, int column, string message)
    {
        Pipelines.AssertSingleError(yaml, line, column, message);
    }

    [Theory]
    [InlineData("- build\n- test", "found a list")]
    [InlineData("hello", "found a value")]
    [InlineData("---\n", "found nothing")]
    public void Load_ReportsTheDocument_WhenItIsNotAMapping(string yaml, string found)
    {
        Pipelines.AssertSingleError(yaml, 1, 1, $"a pipeline is a mapping of keys such as 'stages' and 'jobs', {found}");
    }

    [Fact]
    public void Load_AppliesMergeKeys_WhenAJobMergesAHiddenTemplate()
    {
        var pipeline = Pipelines.Valid("""
            stages: [build]
            jobs:
              .defaults: &defaults
                stage: build
                image: alpine:3
                retry: 2
                variables: { MODE: release }
              compile:
                <<: *defaults
                script: [make]
                retry: 1
            """);

        var job = Assert.Single(pipeline.Jobs);
        Assert.Equal("compile", job.Id);
        Assert.Equal("build", job.Stage);
        Assert.Equal("alpine:3", job.Image);
        Assert.Equal(1, job.Retry);
        Assert.Equal("release", job.Variables["MODE"]);
    }

    [Fact]
    public void Load_TakesTheFirstMergedValue_WhenSeveralMergedMappingsSetTheSameKey()
    {
        var pipeline = Pipelines.Valid("""
            stages: [build]
            jobs:
              .a: &a { image: from-a, retry: 1 }
              .b: &b { image: from-b, timeout: 5m }
              compile:
                <<: [*a, *b]
                stage: build
                script: [make]
            """);

        var job = Assert.Single(pipeline.Jobs);
        Assert.Equal("from-a", job.Image);
        Assert.Equal(1, job.Retry);
        Assert.Equal(TimeSpan.FromMinutes(5), job.Timeout);
    }

    [Fact]
    public void Load_AppliesMergeKeys_WhenVariablesMergeAnAnchor()
    {
        var pipeline = Pipelines.Valid("""
            variables: &common { REGION: eu, TIER: free }
            stages: [build]
            jobs:
              compile:
                stage: build
                image: alpine:3
                script: [make]
                variables:
                  <<: *common
                  TIER: paid
            """);

        var job = Assert.Single(pipeline.Jobs);
        Assert.Equal(new Dictionary<string, string> { ["TIER"] = "paid", ["REGION"] = "eu" }, job.Variables);
    }

    [Fact]
    public void Load_ReportsTheMergeKey_WhenItMergesSomethingOtherThanAMapping()
    {
        const string yaml = """
            stages: [build]
            x: &name just-a-value
            jobs:
              compile:
                <<: *name
                stage: build
                image: alpine:3
                script: [make]
            """;

        var errors = Pipelines.Errors(yaml);

        Assert.Equal(2, errors.Count);
        Assert.Equal(new Diagnostic(new SourceLocation(2, 1), "pipeline: unknown key 'x'"), errors[0]);
        Assert.Equal(new Diagnostic(new SourceLocation(5, 5), "jobs.compile: '<<' merges a mapping (an alias such as *defaults), not a value"), errors[1]);
    }

    [Fact]
    public void Load_ReportsAProblemInsideATemplateAtItsLine_ForEachJobThatMergesIt()
    {
        const string yaml = """
            stages: [build]
            jobs:
              .defaults: &defaults
                stage: build
                image: alpine:3
                timeout: soon
              one: { <<: *defaults, script: [a] }
              two: { <<: *defaults, script: [b] }
            """;

        var errors = Pipelines.Errors(yaml);

        Assert.Equal(2, errors.Count);
        Assert.All(errors, e => Assert.Equal(new SourceLocation(6, 14), e.Location));
        Assert.Contains("jobs.one.timeout: invalid duration 'soon'", errors[0].Message + errors[1].Message, StringComparison.Ordinal);
        Assert.Contains("jobs.two.timeout: invalid duration 'soon'", errors[0].Message + errors[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_IgnoresHiddenJobs_WhenTheirNameStartsWithADot()
    {
        var pipeline = Pipelines.Valid("""
            stages: [build]
            jobs:
              .template: { anything: [goes, here], stage: nowhere }
              .unused: just text
              build: { stage: build, image: alpine:3, script: [make] }
            """);

        Assert.Equal(["build"], pipeline.Jobs.Select(j => j.Id));
    }

    [Fact]
    public void Load_ReportsNeedsOnAHiddenJob_AsAnUnknownJob()
    {
        const string yaml = """
            stages: [build]
            jobs:
              .template: { stage: build, image: alpine:3, script: [make] }
              build: { stage: build, image: alpine:3, script: [make], needs: [.template] }
            """;

        Pipelines.AssertSingleError(yaml, 4, 67, "jobs.build.needs: unknown job '.template'");
    }

    [Fact]
    public void Load_AcceptsASingleValue_WhereAListIsExpected()
    {
        var pipeline = Pipelines.Valid("""
            stages: build
            jobs:
              a: { stage: build, image: alpine:3, script: make }
              b: { stage: build, image: alpine:3, script: test, needs: a, runs-on: linux, secrets: TOKEN }
            """);

        Assert.Equal(["build"], pipeline.Stages);
        var b = pipeline.Jobs[1];
        Assert.Equal(["test"], b.Script);
        Assert.Equal(["a"], b.Needs);
        Assert.Equal(["linux"], b.RunsOn);
        Assert.Equal(["TOKEN"], b.Secrets);
    }

    [Fact]
    public void Read_KeepsEveryJobInFileOrderWithItsLocation_WhenTextIsValid()
    {
        var diagnostics = new DiagnosticBag();

        var syntax = PipelineSyntaxReader.Read(Build + "  test:\n    stage: test\n    script: [x]\n", diagnostics);

        Assert.NotNull(syntax);
        Assert.False(diagnostics.HasErrors);
        Assert.Equal(["build", "test"], syntax.Jobs.Select(j => j.Id.Value));
        Assert.Equal(new SourceLocation(7, 3), syntax.Jobs[1].Id.Location);
        Assert.Equal(new SourceLocation(2, 1), syntax.JobsLocation);
        Assert.Null(syntax.Jobs[1].Image);
    }

    [Fact]
    public void Read_ReturnsNull_WhenTextIsNotYaml()
    {
        var diagnostics = new DiagnosticBag();

        Assert.Null(PipelineSyntaxReader.Read("a: [", diagnostics));
        Assert.True(diagnostics.HasErrors);
    }

    [Fact]
    public void Load_ReadsOnAsAListOfEvents_WhenWrittenAsAList()
    {
        var triggers = Pipelines.Valid(Build + "on: [push, tag]").Triggers;

        Assert.Equal(RefTrigger.Any, triggers.Push);
        Assert.Equal(RefTrigger.Any, triggers.Tag);
        Assert.Null(triggers.PullRequest);
        Assert.False(triggers.Manual);
    }
}
