using System.Diagnostics;
using Pipeliner.Engine.Backends;

namespace Pipeliner.Engine.Tests.Backends;

/// <summary>The generated script, run by the local /bin/sh exactly as the backends run it.</summary>
public sealed class ScriptBuilderTests
{
    [Fact]
    public async Task Build_EchoesEachCommandBeforeItsOutput_WhenRun()
    {
        var (exit, output) = await RunAsync(["echo one", "echo two"]);

        Assert.Equal(0, exit);
        Assert.Equal(["$ echo one", "one", "$ echo two", "two"], output);
    }

    [Fact]
    public async Task Build_StopsAtFirstFailingCommand_WhenACommandFails()
    {
        var (exit, output) = await RunAsync(["echo before", "exit 3", "echo after"]);

        Assert.Equal(3, exit);
        Assert.Equal(["$ echo before", "before", "$ exit 3"], output);
    }

    [Fact]
    public async Task Build_SendsStderrToStdoutInOrder_WhenCommandsWriteToBoth()
    {
        var (_, output) = await RunAsync(["echo out1; echo err1 >&2; echo out2; echo err2 >&2"]);

        Assert.Equal(["$ echo out1; echo err1 >&2; echo out2; echo err2 >&2", "out1", "err1", "out2", "err2"], output);
    }

    [Fact]
    public async Task Build_EchoesCommandLiterally_WhenItHasQuotesAndVariables()
    {
        var (_, output) = await RunAsync(["X=1; echo \"it's $X\" '$HOME' `true` \\n %s"]);

        Assert.Equal("$ X=1; echo \"it's $X\" '$HOME' `true` \\n %s", output[0]);
        Assert.Equal("it's 1 $HOME n %s", output[1]);
    }

    [Fact]
    public async Task Build_EchoesEveryLine_WhenCommandSpansLines()
    {
        var (_, output) = await RunAsync(["for i in 1 2; do\n  echo item $i\ndone"]);

        Assert.Equal(["$ for i in 1 2; do", "$   echo item $i", "$ done", "item 1", "item 2"], output);
    }

    [Theory]
    [InlineData("plain", "'plain'")]
    [InlineData("it's", "'it'\\''s'")]
    [InlineData("", "''")]
    public void Quote_WrapsInSingleQuotes_WhenGivenText(string text, string quoted)
    {
        Assert.Equal(quoted, ScriptBuilder.Quote(text));
    }

    private static async Task<(int Exit, string[] Output)> RunAsync(IReadOnlyList<string> commands)
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(ScriptBuilder.Build(commands));
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
