using Pipeliner.Core.Model;
using Pipeliner.Core.Tests.Support;

namespace Pipeliner.Core.Tests.Compilation;

public class JobCompilerTests
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

    public static TheoryData<string, int, int, string> Errors => new()
    {
        // stage
        { Build.Replace("    stage: build", "    stage: tset"), 4, 12, "jobs.build.stage: stage 'tset' is not declared in 'stages' (did you mean 'test'?); stages are: build, test" },
        { Build.Replace("    stage: build", "    stage: deploy"), 4, 12, "jobs.build.stage: stage 'deploy' is not declared in 'stages'; stages are: build, test" },
        { Build.Replace("    stage: build\n", ""), 3, 3, "jobs.build: 'stage' is required (one of: build, test)" },
        // image and script
        { Build.Replace("    image: alpine:3\n", ""), 3, 3, "jobs.build: 'image' is required (or set defaults.image)" },
        { Build.Replace("    image: alpine:3", "    image: \"\""), 5, 12, "jobs.build.image: must not be empty" },
        { Build.Replace("    image: alpine:3", "    image:"), 5, 11, "jobs.build.image: must not be empty" },
        { Build.Replace("    script: [make]\n", ""), 3, 3, "jobs.build: 'script' is required: the commands the job runs" },
        { Build.Replace("    script: [make]", "    script: []"), 6, 13, "jobs.build.script: list at least one command" },
        { Build.Replace("    script: [make]", "    script:"), 6, 12, "jobs.build.script: list at least one command" },
        { Build.Replace("    script: [make]", "    script: [make, \"  \"]"), 6, 20, "jobs.build.script: a command is empty" },
        // durations
        { Build + "    timeout: 5x", 7, 14, "jobs.build.timeout: invalid duration '5x': write a number with a unit, e.g. 30s, 5m, 1h30m or 2d" },
        { Build + "    timeout: 0s", 7, 14, "jobs.build.timeout: invalid duration '0s': it must be longer than zero" },
        { Build + "    timeout: 10", 7, 14, "jobs.build.timeout: invalid duration '10'" },
        { Build + "    artifacts: {paths: [dist/], expire: forever}", 7, 41, "jobs.build.artifacts.expire: invalid duration 'forever'" },
        { Build + "defaults: {timeout: 1y}", 7, 21, "defaults.timeout: invalid duration '1y'" },
        // sizes and CPUs
        { Build + "    resources: {memory: 512MB}", 7, 25, "jobs.build.resources.memory: invalid size '512MB': write a number with a unit, e.g. 512Mi, 1Gi, 500M" },
        { Build + "    resources: {memory: 1Mi}", 7, 25, "jobs.build.resources.memory: at least 6Mi (the container engine's minimum), found '1Mi'" },
        { Build + "    resources: {memory: 99999999999999999999999999999T}", 7, 25, "jobs.build.resources.memory: invalid size '99999999999999999999999999999T': too large" },
        { Build + "    resources: {cpus: 0}", 7, 23, "jobs.build.resources.cpus: expected a number of CPUs above 0 and at most 256" },
        { Build + "    resources: {cpus: -1}", 7, 23, "jobs.build.resources.cpus: expected a number of CPUs above 0 and at most 256" },
        { Build + "    resources: {cpus: 300}", 7, 23, "jobs.build.resources.cpus: expected a number of CPUs above 0 and at most 256" },
        { Build + "defaults: {resources: {memory: lots}}", 7, 32, "defaults.resources.memory: invalid size 'lots'" },
        // retry
        { Build + "    retry: -1", 7, 12, "jobs.build.retry: must not be negative (found -1)" },
        { Build + "    retry: 11", 7, 12, "jobs.build.retry: must be between 0 and 10 (found 11)" },
        { Build + "    retry: 1.5", 7, 12, "jobs.build.retry: expected a whole number, found '1.5'" },
        { Build + "defaults: {retry: -2}", 7, 19, "defaults.retry: must not be negative (found -2)" },
        // when and if
        { Build + "    when: sometimes", 7, 11, "jobs.build.when: unknown value 'sometimes'; use one of on_success, on_failure, always, manual" },
        { Build + "    when: on-success", 7, 11, "jobs.build.when: unknown value 'on-success' (did you mean 'on_success'?)" },
        { Build + "    blocking: true", 7, 15, "jobs.build.blocking: only a 'when: manual' job can block its run; this job is when: on_success" },
        { Build + "    when: always\n    blocking: true", 8, 15, "jobs.build.blocking: only a 'when: manual' job can block its run; this job is when: always" },
        { Build + "    when: manual\n    blocking: yes", 8, 15, "jobs.build.blocking: expected true or false, found 'yes'" },
        { Build + "    if: {events: [pushh]}", 7, 19, "jobs.build.if.events: unknown event 'pushh' (did you mean 'push'?); events are push, pull_request, tag, schedule, manual" },
        { Build + "    if: {branches: [\"release/[0-9\"]}", 7, 21, "jobs.build.if.branches: invalid glob 'release/[0-9': '[' is never closed" },
        { Build + "    if: {tags: [\"v{1,2\"]}", 7, 17, "jobs.build.if.tags: invalid glob 'v{1,2': '{' is never closed" },
        { Build + "    if: {paths: [\"src/a**\"]}", 7, 18, "jobs.build.if.paths: invalid glob 'src/a**': '**' must be a whole path segment" },
        { Build + "    if: {paths: [\"\"]}", 7, 18, "jobs.build.if.paths: a glob must not be empty" },
        // names
        { Build + "  bad!name: {stage: build, image: x, script: [y]}", 7, 3, "jobs: invalid job name 'bad!name': use letters, digits, '-', '_' and '.', starting with a letter or digit (at most 100)" },
        { Build + "    environment: \"prod env\"", 7, 18, "jobs.build.environment: invalid environment name 'prod env'" },
        { Build + "    variables: {1BAD: x}", 7, 17, "jobs.build.variables: invalid variable name '1BAD': use letters, digits and '_', not starting with a digit" },
        { Build + "    secrets: [DEPLOY-TOKEN]", 7, 15, "jobs.build.secrets: invalid variable name 'DEPLOY-TOKEN'" },
        { Build + "    runs-on: [\"big box\"]", 7, 15, "jobs.build.runs-on: invalid label 'big box': labels are non-empty and without spaces" },
        { Build + "defaults: {runs-on: [\"\"]}", 7, 22, "defaults.runs-on: invalid label ''" },
        // services, artifacts, cache
        { Build + "    services: [{name: db}]", 7, 16, "jobs.build.services[0]: 'image' is required" },
        { Build + "    services: [{image: postgres}]", 7, 16, "jobs.build.services[0]: 'name' is required" },
        { Build + "    services: [{name: db, image: a}, {name: db, image: b}]", 7, 45, "jobs.build.services[1].name: another service of this job is already named 'db'" },
        { Build + "    services: [{name: db, image: \"\"}]", 7, 34, "jobs.build.services[0].image: must not be empty" },
        { Build + "    artifacts: {paths: [../out]}", 7, 25, "jobs.build.artifacts.paths: '../out' must be a path inside the workspace (relative, without '..')" },
        { Build + "    artifacts: {paths: [/etc]}", 7, 25, "jobs.build.artifacts.paths: '/etc' must be a path inside the workspace" },
        { Build + "    artifacts: {expire: 1d}", 7, 16, "jobs.build.artifacts.paths: list at least one path" },
        { Build + "    cache: {key: deps, paths: []}", 7, 31, "jobs.build.cache.paths: list at least one path" },
        { Build + "    cache: {key: \"\", paths: [.nuget/]}", 7, 18, "jobs.build.cache.key: must not be empty" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Load_ReportsOneErrorAtTheOffendingValue_WhenAJobKeyIsInvalid(string yaml, int line, int column, string message)
    {
        Pipelines.AssertSingleError(yaml, line, column, message);
    }

    [Fact]
    public void Load_AppliesDefaults_WhenAJobDoesNotSetTheKey()
    {
        var pipeline = Pipelines.Valid("""
            defaults: { image: alpine:3, timeout: 10m, retry: 2, runs-on: [linux], resources: { cpus: 1, memory: 512Mi } }
            stages: [build]
            jobs:
              plain: { stage: build, script: [make] }
              own: { stage: build, script: [make], image: debian, timeout: 1h30m, retry: 0, runs-on: [arm], resources: { cpus: 0.5 } }
            """);

        var plain = pipeline.Jobs[0];
        Assert.Equal("alpine:3", plain.Image);
        Assert.Equal(TimeSpan.FromMinutes(10), plain.Timeout);
        Assert.Equal(2, plain.Retry);
        Assert.Equal(["linux"], plain.RunsOn);
        Assert.Equal(new ResourceLimits(1m, new ByteSize(512L << 20)), plain.Resources);

        var own = pipeline.Jobs[1];
        Assert.Equal("debian", own.Image);
        Assert.Equal(TimeSpan.FromMinutes(90), own.Timeout);
        Assert.Equal(0, own.Retry);
        Assert.Equal(["arm"], own.RunsOn);
        // A job's resources replace only the limits it sets.
        Assert.Equal(new ResourceLimits(0.5m, new ByteSize(512L << 20)), own.Resources);
    }

    [Fact]
    public void Load_UsesBuiltInDefaults_WhenNeitherJobNorDefaultsSetTheKey()
    {
        var job = Assert.Single(Pipelines.Valid("""
            stages: [build]
            jobs:
              build:
                stage: build
                image: alpine:3
                script: [make]
                artifacts: { paths: [dist/] }
                cache: { paths: [.nuget/] }
            """).Jobs);

        Assert.Equal(TimeSpan.FromHours(1), job.Timeout);
        Assert.Equal(0, job.Retry);
        Assert.False(job.AllowFailure);
        Assert.Equal(WhenPolicy.OnSuccess, job.When);
        Assert.Empty(job.RunsOn);
        Assert.Equal(ResourceLimits.None, job.Resources);
        Assert.NotNull(job.Artifacts);
        Assert.Equal(["dist/"], job.Artifacts.Paths);
        Assert.Equal(TimeSpan.FromDays(30), job.Artifacts.Expire);
        Assert.NotNull(job.Cache);
        Assert.Equal("default", job.Cache.Key);
        Assert.Equal([".nuget/"], job.Cache.Paths);
        Assert.Same(JobCondition.Always, job.Condition);
        Assert.Null(job.Needs);
    }

    [Fact]
    public void Load_TypesEveryJobKey_WhenTheJobIsValid()
    {
        var job = Assert.Single(Pipelines.Valid("""
            stages: [build, deploy]
            jobs:
              ship:
                stage: deploy
                image: alpine:3
                script: ["./deploy.sh", "./smoke.sh"]
                when: manual
                environment: dit
                services: [{ name: db, image: "postgres:16", command: [postgres, -c, fsync=off], env: { POSTGRES_PASSWORD: x } }]
                artifacts: { paths: [dist/, " out/ "], expire: 2d }
                cache: { key: deps, paths: [.nuget/] }
                variables: { K: V, EMPTY: }
                secrets: [DEPLOY_TOKEN, DEPLOY_TOKEN, OTHER]
                timeout: 30s
                retry: 3
                allow_failure: TRUE
                blocking: true
                runs-on: [linux, docker]
                resources: { cpus: 1.5, memory: 1Gi }
                if: { branches: [develop], events: [push, manual] }
            """).Jobs);

        Assert.Equal("ship", job.Id);
        Assert.Equal("ship", job.Name);
        Assert.Equal("deploy", job.Stage);
        Assert.Equal(1, job.StageIndex);
        Assert.Equal(["./deploy.sh", "./smoke.sh"], job.Script);
        Assert.Equal(WhenPolicy.Manual, job.When);
        Assert.Equal("dit", job.Environment);
        var service = Assert.Single(job.Services);
        Assert.Equal(("db", "postgres:16"), (service.Name, service.Image));
        Assert.Equal(["postgres", "-c", "fsync=off"], service.Command);
        Assert.Equal("x", service.Env["POSTGRES_PASSWORD"]);
        Assert.Equal(["dist/", "out/"], job.Artifacts!.Paths);
        Assert.Equal(TimeSpan.FromDays(2), job.Artifacts.Expire);
        Assert.Equal("deps", job.Cache!.Key);
        Assert.Equal(new Dictionary<string, string> { ["K"] = "V", ["EMPTY"] = "" }, job.Variables);
        Assert.Equal(["DEPLOY_TOKEN", "OTHER"], job.Secrets);
        Assert.Equal(TimeSpan.FromSeconds(30), job.Timeout);
        Assert.Equal(3, job.Retry);
        Assert.True(job.AllowFailure);
        Assert.True(job.Blocking);
        Assert.Equal(["linux", "docker"], job.RunsOn);
        Assert.Equal(new ResourceLimits(1.5m, new ByteSize(1L << 30)), job.Resources);
        Assert.Equal(["develop"], job.Condition.Branches!.Select(g => g.Pattern));
        Assert.Equal([EventKind.Push, EventKind.Manual], job.Condition.Events);
        Assert.Null(job.Condition.Tags);
        Assert.Null(job.Condition.Paths);
        Assert.Equal(new Pipeliner.Core.Diagnostics.SourceLocation(3, 3), job.Location);
    }

    [Theory]
    [InlineData("on_success", WhenPolicy.OnSuccess)]
    [InlineData("on_failure", WhenPolicy.OnFailure)]
    [InlineData("always", WhenPolicy.Always)]
    [InlineData("manual", WhenPolicy.Manual)]
    public void Load_ReadsWhen_WhenValueIsKnown(string text, WhenPolicy expected)
    {
        var job = Assert.Single(Pipelines.Valid(Build.Replace("stages: [build, test]", "stages: [build]") + "    when: " + text).Jobs);

        Assert.Equal(expected, job.When);
        Assert.Equal(text, expected.ToName());
    }
}
