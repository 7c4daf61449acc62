using Pipeliner.Cli.Tests.Support;

namespace Pipeliner.Cli.Tests;

public sealed class CliAppTests : IDisposable
{
    private readonly TempDirectory _files = new();

    public void Dispose() => _files.Dispose();

    [Theory]
    [InlineData("Required command was not provided.")]
    [InlineData("Unrecognized command or argument 'frobnicate'.", "frobnicate")]
    [InlineData("Unrecognized command or argument '--json'.", "--json")]
    public void Run_ExitsTwoWithUsageHint_WhenTheCommandLineIsWrong(string message, params string[] args)
    {
        var result = PipelinerCli.Run(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Empty(result.Out);
        Assert.Contains("pipeliner: " + message, result.ErrorLines);
        Assert.Equal("Run 'pipeliner --help' for usage.", result.ErrorLines[^1]);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("validate", "--help")]
    [InlineData("plan", "--help")]
    public void Run_PrintsUsageAndExitsZero_WhenHelpIsAsked(params string[] args)
    {
        var result = PipelinerCli.Run(args);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Usage:", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_ExitsTwoWithOneLine_WhenWritingTheOutputFails()
    {
        var file = _files.Write("pipeline.yml", PipelineTexts.Valid);
        using var error = new StringWriter();

        // As when the output is piped into a program that has already exited.
        var exitCode = CliApp.Run(["validate", file], new CliConsole(new BrokenPipeWriter(), error));

        Assert.Equal(2, exitCode);
        Assert.Equal("pipeliner: internal error: IOException: Broken pipe", error.ToString().TrimEnd());
    }

    private sealed class BrokenPipeWriter : StringWriter
    {
        public override void Write(char value) => throw new IOException("Broken pipe");

        public override void Write(string? value) => throw new IOException("Broken pipe");

        public override void WriteLine(string? value) => throw new IOException("Broken pipe");
    }
}
