using Pipeliner.Core.Tests.Support;

namespace Pipeliner.Core.Tests.Compilation;

public class MatrixExpanderTests
{
    // Lines 1 to 6; cases add the matrix at line 7.
    private const string Test = """
        stages: [test]
        jobs:
          test:
            stage: test
            image: "${OS}:${VERSION}"
            script: [make test]

        """;

    [Fact]
    public void Load_ExpandsTheCartesianProductInKeyOrder_WhenAJobHasAMatrix()
    {
        var pipeline = Pipelines.Valid(Test + "    matrix: { OS: [alpine, debian], VERSION: [\"1\", \"2\", \"3\"] }");

        Assert.Equal(
            [
                "test (alpine, 1)", "test (alpine, 2)", "test (alpine, 3)",
                "test (debian, 1)", "test (debian, 2)", "test (debian, 3)",
            ],
            pipeline.Jobs.Select(j => j.Id));
        Assert.All(pipeline.Jobs, j => Assert.Equal("test", j.Name));
        Assert.Equal([KeyValuePair.Create("OS", "debian"), KeyValuePair.Create("VERSION", "2")], pipeline.Jobs[4].MatrixValues);
    }

    [Fact]
    public void Load_NamesInstancesInTheOrderTheKeysAreWritten_WhenKeysAreNotAlphabetical()
    {
        var pipeline = Pipelines.Valid(Test + "    matrix: { VERSION: [\"1\"], OS: [alpine] }");

        Assert.Equal(["test (1, alpine)"], pipeline.Jobs.Select(j => j.Id));
    }

    [Fact]
    public void Load_SubstitutesMatrixValuesInImages_WhenTheImageNamesAnAxis()
    {
        var pipeline = Pipelines.Valid("""
            stages: [test]
            jobs:
              test:
                stage: test
                image: "${OS}:${VERSION}-${UNKNOWN}"
                script: [make test]
                services: [{ name: db, image: "postgres:${PG}" }]
                matrix: { OS: [alpine], VERSION: ["3"], PG: ["15", "16"] }
              plain: { stage: test, image: "${OS}", script: [x] }
            """);

        Assert.Equal(["alpine:3-${UNKNOWN}", "alpine:3-${UNKNOWN}", "${OS}"], pipeline.Jobs.Select(j => j.Image));
        Assert.Equal(["postgres:15", "postgres:16"], pipeline.Jobs.Take(2).Select(j => j.Services[0].Image));
    }

    [Fact]
    public void Load_KeepsFileOrder_WhenMatrixJobsAreExpandedAmongOthers()
    {
        var pipeline = Pipelines.Valid("""
            stages: [test]
            jobs:
              first: { stage: test, image: x, script: [x] }
              middle: { stage: test, image: x, script: [x], matrix: { N: [a, b] } }
              last: { stage: test, image: x, script: [x] }
            """);

        Assert.Equal(["first", "middle (a)", "middle (b)", "last"], pipeline.Jobs.Select(j => j.Id));
    }

    [Fact]
    public void Load_AcceptsExactly256Instances_WhenTheMatrixIsAtTheLimit()
    {
        var pipeline = Pipelines.Valid(Test + $"    matrix: {{ OS: [{Values(16)}], VERSION: [{Values(16)}] }}");

        Assert.Equal(256, pipeline.Jobs.Count);
    }

    public static TheoryData<string, int, int, string> Errors => new()
    {
        { Test + $"    matrix: {{ OS: [{Values(16)}], VERSION: [{Values(17)}] }}", 7, 13, "jobs.test.matrix: expands to 272 jobs; at most 256 per job" },
        { Test + $"    matrix: {{ A: [{Values(100)}], B: [{Values(100)}], C: [{Values(100)}] }}", 7, 13, "jobs.test.matrix: expands to 1000000 jobs; at most 256 per job" },
        { Test + "    matrix: { OS: [alpine, alpine] }", 7, 13, "jobs.test: job id 'test (alpine)' occurs twice after matrix expansion" },
        // Two different combinations that print the same.
        { Test + "    matrix: { A: [\"x, y\", x], B: [z, \"y, z\"] }", 7, 13, "jobs.test: job id 'test (x, y, z)' occurs twice after matrix expansion" },
        { Test + "    matrix: { OS: [] }", 7, 19, "jobs.test.matrix.OS: list at least one value" },
        { Test + "    matrix: { os-name: [a] }", 7, 15, "jobs.test.matrix: invalid variable name 'os-name': use letters, digits and '_', not starting with a digit" },
        { Test + "    matrix: {}", 7, 13, "jobs.test.matrix: list at least one axis, e.g. matrix: { OS: [alpine, debian] }" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Load_ReportsOneErrorAtTheMatrix_WhenTheMatrixIsInvalid(string yaml, int line, int column, string message)
    {
        Pipelines.AssertSingleError(yaml, line, column, message);
    }

    private static string Values(int count) => string.Join(", ", Enumerable.Range(1, count).Select(i => $"\"v{i}\""));
}
