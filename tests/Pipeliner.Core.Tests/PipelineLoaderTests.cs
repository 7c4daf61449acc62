using System.Text;
using Pipeliner.Core.Diagnostics;
using Pipeliner.Core.Tests.Support;

namespace Pipeliner.Core.Tests;

public class PipelineLoaderTests
{
    private const string EveryKindOfProblem = """
        stages: [build, test, deploy]
        defaults: { timeout: 1y }
        on:
          schedule: ["61 * * * *"]
        jobs:
          build:
            stage: biuld
            image: alpine:3
            script: []
            retry: -1
          unit:
            stage: test
            script: [test]
            needs: [buidl, deploy-app]
            timeout: 10 minutes
            resources: { memory: 1Gb }
            if: { branches: ["[main"] }
          deploy-app:
            stage: deploy
            image: alpine:3
            script: [deploy]
            matrix: { A: [a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17], B: [b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16] }
            colour: blue
            when: allways
          a: { stage: test, image: x, script: [x], needs: [b] }
          b: { stage: test, image: x, script: [x], needs: [a] }
          a: { stage: test, image: x, script: [y] }
        """;

    [Fact]
    public void Load_ReportsEveryProblemOnceInFileOrder_WhenAFileHasManyDistinctProblems()
    {
        var result = PipelineLoader.Load(EveryKindOfProblem);

        Assert.False(result.IsValid);
        Assert.Null(result.Pipeline);
        (int Line, int Column, string Start)[] expected =
        [
            (2, 22, "defaults.timeout: invalid duration '1y'"),
            (4, 14, "on.schedule: invalid cron expression '61 * * * *': minute field '61'"),
            (7, 12, "jobs.build.stage: stage 'biuld' is not declared in 'stages' (did you mean 'build'?)"),
            (9, 13, "jobs.build.script: list at least one command"),
            (10, 12, "jobs.build.retry: must not be negative (found -1)"),
            (11, 3, "jobs.unit: 'image' is required (or set defaults.image)"),
            (14, 13, "jobs.unit.needs: unknown job 'buidl' (did you mean 'build'?)"),
            (14, 20, "jobs.unit.needs: 'deploy-app' runs in the later stage 'deploy'"),
            (15, 14, "jobs.unit.timeout: invalid duration '10 minutes'"),
            (16, 26, "jobs.unit.resources.memory: invalid size '1Gb'"),
            (17, 22, "jobs.unit.if.branches: invalid glob '[main': '[' is never closed"),
            (22, 13, "jobs.deploy-app.matrix: expands to 272 jobs; at most 256 per job"),
            (23, 5, "jobs.deploy-app: unknown key 'colour'"),
            (24, 11, "jobs.deploy-app.when: unknown value 'allways' (did you mean 'always'?)"),
            (25, 51, "jobs.a.needs: cycle a -> b -> a"),
            (27, 3, "duplicate key 'a' (first written at line 25)"),
        ];
        Assert.True(expected.Length == result.Diagnostics.Count, "got:\n" + Pipelines.Describe(result.Diagnostics));
        for (var i = 0; i < expected.Length; i++)
        {
            var (line, column, start) = expected[i];
            var actual = result.Diagnostics[i];
            Assert.Equal(new SourceLocation(line, column), actual.Location);
            Assert.StartsWith(start, actual.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Load_ReturnsThePipelineAndNoDiagnostics_WhenTheFileIsValid()
    {
        var result = PipelineLoader.Load("stages: [build]\njobs:\n  build: { stage: build, image: alpine:3, script: [make] }\n");

        Assert.True(result.IsValid);
        Assert.NotNull(result.Pipeline);
        Assert.Empty(result.Diagnostics);
    }

    private const string Sample = """
        name: shop-api
        on:
          push: { branches: [develop, "release/*"], tags: ["v*"], paths: ["src/**"] }
          pull_request: { branches: [develop] }
          schedule: ["0 3 * * *"]
          manual: true
        variables: { APP: shop-api }
        defaults: { image: "mcr.microsoft.com/dotnet/sdk:10.0", timeout: 10m, retry: 0, runs-on: [linux], resources: { cpus: 1, memory: 512Mi } }
        stages: [static-analysis, unit-test, package, deploy-dit, qa, stress]
        jobs:
          .base: &base
            retry: 1
          lint:
            <<: *base
            stage: static-analysis
            script: ["dotnet format --verify-no-changes"]
          test:
            stage: unit-test
            script: ["dotnet test"]
            needs: [lint]
            matrix: { OS: [alpine, debian], VERSION: ["1", "2"] }
            image: "dotnet:${VERSION}-${OS}"
            services: [{ name: db, image: "postgres:16", command: [postgres], env: { POSTGRES_PASSWORD: x } }]
            artifacts: { paths: [dist/], expire: 30d }
            cache: { key: deps, paths: [.nuget/] }
          package: { stage: package, script: [pack], if: { branches: [develop, "release/*"], events: [push] } }
          deploy: { stage: deploy-dit, script: [deploy], environment: dit, secrets: [DEPLOY_TOKEN], when: manual }
          stress: { stage: stress, script: [k6], when: always, allow_failure: true, timeout: 1h30m }
        """;

    [Fact]
    public void Load_NeverThrows_WhenAValidPipelineIsCutShortAnywhere()
    {
        Assert.True(PipelineLoader.Load(Sample).IsValid);

        for (var length = 0; length < Sample.Length; length++) AssertLoadsCleanly(Sample[..length]);
    }

    [Fact]
    public void Load_NeverThrows_WhenAnyCharacterIsReplacedBySyntax()
    {
        char[] replacements = ['[', '{', ':', '-', '"', '\t', '*', '&', '\n', '|', '#'];
        var text = new StringBuilder(Sample);
        for (var i = 0; i < Sample.Length; i++)
        {
            // One replacement per position, a different one at the next: each is tried all over the file.
            text[i] = replacements[i % replacements.Length];
            AssertLoadsCleanly(text.ToString());
            text[i] = Sample[i];
        }
    }

    [Fact]
    public void Load_NeverThrows_WhenGivenRandomTokenSoup()
    {
        string[] tokens =
        [
            "stages", "jobs", "needs", "matrix", "on", "push", "<<", "*a", "&a", "*b", "&b", ":", ": ", "- ", "[", "]", "{", "}",
            ",", "\n", "\n  ", "\n    ", "\t", "'", "\"", "|", ">", "#", "!!str ", "?", "---", "...", "%YAML 1.2", "é", "\u200B",
            "\U0001F600", "\\", "${OS}", "**", "[!", "0 3 * * *", "-1", "1e9", "~", "null", "true",
        ];
        var random = new Random(20240611);
        for (var document = 0; document < 3_000; document++)
        {
            var text = new StringBuilder();
            var count = random.Next(1, 60);
            for (var i = 0; i < count; i++) text.Append(tokens[random.Next(tokens.Length)]);
            AssertLoadsCleanly(text.ToString());
        }
    }

    [Theory]
    [InlineData("\0\0\0")]
    [InlineData("\uFEFFstages: [a]")]
    [InlineData("\uD800")]
    [InlineData("a: \u0001\u0002")]
    [InlineData("\u202Estages: [a]\njobs: {}")]
    [InlineData("jobs:\n  \"\u00e9t\u00e9\": { stage: a, image: x, script: [x] }\nstages: [a]")]
    public void Load_NeverThrows_WhenGivenOddCharacters(string text)
    {
        AssertLoadsCleanly(text);
    }

    [Fact]
    public void Load_ReadsAHugeScalar_WhenAValueIsVeryLong()
    {
        var result = PipelineLoader.Load($"stages: [a]\njobs:\n  a: {{ stage: a, image: x, script: [\"{new string('x', 1_000_000)}\"] }}\n");

        Assert.True(result.IsValid);
        Assert.Equal(1_000_000, result.Pipeline!.Jobs[0].Script[0].Length);
    }

    private static void AssertLoadsCleanly(string text)
    {
        PipelineLoadResult result;
        try
        {
            result = PipelineLoader.Load(text);
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"Load threw {e.GetType().Name} for:\n{text}\n---\n{e}");
        }

        Assert.True(result.IsValid == (result.Diagnostics.Count == 0), "a valid pipeline has no diagnostics, an invalid one has some:\n" + text);
        var lines = text.Split('\n').Length;
        foreach (var diagnostic in result.Diagnostics)
        {
            Assert.InRange(diagnostic.Location.Line, 1, lines + 1);
            Assert.True(diagnostic.Location.Column >= 1, $"{diagnostic} for:\n{text}");
            Assert.False(string.IsNullOrWhiteSpace(diagnostic.Message));
        }
    }
}
