using System.Text;
using Pipeliner.Cli;

// Standard output is buffered (a run can print hundreds of megabytes of logs); commands flush it when it matters.
await using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16) { AutoFlush = false };
try
{
    return CliApp.Run(args, new CliConsole(stdout, Console.Error, !Console.IsOutputRedirected, Console.In));
}
finally
{
    await stdout.FlushAsync();
}
