using System.CommandLine;
using Pipeliner.Core;
using Pipeliner.Core.Reporting;

namespace Pipeliner.Cli.Commands;

/// <summary><c>pipeliner validate [FILE] [--json]</c>: every problem of a pipeline file, at once.</summary>
internal static class ValidateCommand
{
    public static Command Create(CliConsole console)
    {
        var file = new Argument<string>("FILE")
        {
            Description = "The pipeline file",
            DefaultValueFactory = _ => PipelineFile.DefaultName,
        };
        var json = new Option<bool>("--json") { Description = "Print {\"valid\", \"errors\": [{\"line\", \"column\", \"message\"}]}" };
        var command = new Command("validate", "Check a pipeline file and report every error with its line and column") { file, json };
        command.SetAction(result => Run(console, result.GetValue(file)!, result.GetValue(json)));
        return command;
    }

    private static int Run(CliConsole console, string path, bool json)
    {
        var text = PipelineFile.TryRead(path, out var readError);
        if (text is null)
        {
            console.Error.WriteLine(readError);
            return ExitCodes.Error;
        }

        var result = PipelineLoader.Load(text);
        if (json)
            console.Out.WriteLine(ReportJson.Serialize(ValidationReport.From(result.Diagnostics)));
        else if (result.IsValid)
            console.Out.WriteLine($"{path}: ok");
        else
            DiagnosticPrinter.Print(console.Out, path, result.Diagnostics);
        return result.IsValid ? ExitCodes.Success : ExitCodes.Failure;
    }
}
