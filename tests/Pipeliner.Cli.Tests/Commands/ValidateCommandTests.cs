using System.Text.Json;
using Pipeliner.Cli.Tests.Support;

namespace Pipeliner.Cli.Tests.Commands;

public sealed class ValidateCommandTests : IDisposable
{
    private readonly TempDirectory _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Validate_PrintsOkAndExitsZero_WhenThePipelineIsValid()
    {
        var file = _files.Write("pipeline.yml", PipelineTexts.Valid);

        var result = PipelinerCli.Run("validate", file);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal([$"{file}: ok"], result.OutLines);
        Assert.Empty(result.Error);
    }

    [Fact]
    public void Validate_PrintsEveryErrorAsFileLineColumnAndExitsOne_WhenThePipelineIsInvalid()
    {
        var file = _files.Write("pipeline.yml", PipelineTexts.Invalid);

        var result = PipelinerCli.Run("validate", file);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            [
                $"{file}:5:5: error: jobs.build: unknown key 'scirpt' (did you mean 'script'?)",
                $"{file}:6:12: error: jobs.build.stage: stage 'tset' is not declared in 'stages' (did you mean 'test'?); stages are: build, test",
                $"{file}:8:12: error: jobs.build.retry: must not be negative (found -1)",
            ],
            result.OutLines);
        Assert.Empty(result.Error);
    }

    [Fact]
    public void Validate_PrintsTheFileNameAsGiven_WhenItIsRelative()
    {
        _files.Write("my pipeline.yml", PipelineTexts.Invalid);
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, Path.Combine(_files.Path, "my pipeline.yml"));

        var result = PipelinerCli.Run("validate", relative);

        Assert.All(result.OutLines, line => Assert.StartsWith(relative + ":", line, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_PrintsValidTrueAndNoErrors_WhenJsonIsAskedAndThePipelineIsValid()
    {
        var file = _files.Write("pipeline.yml", PipelineTexts.Valid);

        var result = PipelinerCli.Run("validate", file, "--json");

        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Out);
        Assert.Equal(["valid", "errors"], json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.True(json.RootElement.GetProperty("valid").GetBoolean());
        Assert.Equal(0, json.RootElement.GetProperty("errors").GetArrayLength());
        Assert.Empty(result.Error);
    }

    [Fact]
    public void Validate_PrintsEveryErrorWithLineColumnAndMessage_WhenJsonIsAskedAndThePipelineIsInvalid()
    {
        var file = _files.Write("pipeline.yml", PipelineTexts.Invalid);

        var result = PipelinerCli.Run("validate", "--json", file);

        Assert.Equal(1, result.ExitCode);
        using var json = JsonDocument.Parse(result.Out);
        Assert.False(json.RootElement.GetProperty("valid").GetBoolean());
        var errors = json.RootElement.GetProperty("errors").EnumerateArray().ToList();
        Assert.All(errors, e => Assert.Equal(["line", "column", "message"], e.EnumerateObject().Select(p => p.Name)));
        Assert.Equal(
            [
                (5, 5, "jobs.build: unknown key 'scirpt' (did you mean 'script'?)"),
                (6, 12, "jobs.build.stage: stage 'tset' is not declared in 'stages' (did you mean 'test'?); stages are: build, test"),
                (8, 12, "jobs.build.retry: must not be negative (found -1)"),
            ],
            errors.Select(e => (e.GetProperty("line").GetInt32(), e.GetProperty("column").GetInt32(), e.GetProperty("message").GetString())));
        Assert.Empty(result.Error);
    }

    [Fact]
    public void Validate_ReportsTheSyntaxErrorWithItsPosition_WhenTheFileIsNotYaml()
    {
        var file = _files.Write("pipeline.yml", "stages: [build\njobs: {}\n");

        var result = PipelinerCli.Run("validate", file);

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.OutLines);
        Assert.StartsWith($"{file}:2:1: error: YAML syntax error: ", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("# only a comment\n")]
    [InlineData("# one\n\n# two\n")]
    public void Validate_ReportsThatThereIsNoPipeline_WhenTheFileHoldsOnlyComments(string text)
    {
        var file = _files.Write("pipeline.yml", text);

        var result = PipelinerCli.Run("validate", file);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal([$"{file}:1:1: error: the file holds no pipeline (it is empty or only comments)"], result.OutLines);
    }

    [Fact]
    public void Validate_ReportsTheSecondDocument_WhenTheFileHoldsTwo()
    {
        var file = _files.Write("pipeline.yml", PipelineTexts.Valid + "---\nname: second\n");

        var result = PipelinerCli.Run("validate", file);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal([$"{file}:26:1: error: the file holds more than one YAML document; a pipeline is one document"], result.OutLines);
    }

    [Fact]
    public void Validate_ExitsTwo_WhenGivenTwoFiles()
    {
        var file = _files.Write("pipeline.yml", PipelineTexts.Valid);

        var result = PipelinerCli.Run("validate", file, file);

        Assert.Equal(2, result.ExitCode);
        Assert.Empty(result.Out);
        Assert.Contains($"Unrecognized command or argument '{file}'", result.Error, StringComparison.Ordinal);
    }
}
