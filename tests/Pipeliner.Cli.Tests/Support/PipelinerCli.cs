namespace Pipeliner.Cli.Tests.Support;

/// <summary>What a command printed and returned.</summary>
internal sealed record CliResult(int ExitCode, string Out, string Error)
{
    public string[] OutLines => Lines(Out);

    public string[] ErrorLines => Lines(Error);

    private static string[] Lines(string text) => text.ReplaceLineEndings("\n").TrimEnd('\n') is { Length: > 0 } t ? t.Split('\n') : [];
}

/// <summary>Runs <c>pipeliner</c> in-process with captured output.</summary>
internal static class PipelinerCli
{
    public static CliResult Run(params string[] args) => RunWithInput(null, args);

    /// <summary>Runs with <paramref name="input"/> as standard input (null: none).</summary>
    public static CliResult RunWithInput(string? input, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var reader = input is null ? null : new StringReader(input);
        var exitCode = CliApp.Run(args, new CliConsole(output, error, In: reader));
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }
}
