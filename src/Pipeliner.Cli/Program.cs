using Pipeliner.Cli;

return CliApp.Run(args, CliConsole.System);
