using System.CommandLine;
using Pipeliner.Cli.Agent;
using Pipeliner.Cli.Commands;
using Pipeliner.Cli.Projects;
using Pipeliner.Cli.Running;

namespace Pipeliner.Cli;

/// <summary>The <c>pipeliner</c> command line: builds the commands and runs one.</summary>
internal static class CliApp
{
    public static int Run(string[] args, CliConsole console)
    {
        var root = new RootCommand("Pipeliner: pipelines as code, checked, planned and run")
        {
            ValidateCommand.Create(console),
            PlanCommand.Create(console),
            RunCommand.Create(console),
            ProjectCommand.Create(console),
            AgentCommand.Create(console),
        };
        var result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            foreach (var error in result.Errors) console.Error.WriteLine($"pipeliner: {error.Message}");
            console.Error.WriteLine("Run 'pipeliner --help' for usage.");
            return ExitCodes.Error;
        }

        try
        {
            // Signals are handled by the commands themselves: a run must clean up, however long that takes.
            return result.Invoke(new InvocationConfiguration
            {
                Output = console.Out,
                Error = console.Error,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            });
        }
        catch (Exception e)
        {
            // Whatever goes wrong (a closed output pipe, a bug) is one line, never a stack trace.
            console.Error.WriteLine($"pipeliner: internal error: {e.GetType().Name}: {e.Message}");
            return ExitCodes.Error;
        }
    }
}
