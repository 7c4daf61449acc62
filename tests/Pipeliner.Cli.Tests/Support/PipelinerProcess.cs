using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Pipeliner.Cli.Tests.Support;

/// <summary>
/// Runs the built <c>pipeliner</c> executable as a separate process. The project reference copies it next to the
/// test assembly: the native launcher when the platform has one, else <c>pipeliner.dll</c> started with dotnet.
/// </summary>
internal static class PipelinerProcess
{
    /// <summary>A guard against a hang, far above what any run takes: not a measurement.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public static CliResult Run(string workingDirectory, params string[] args)
    {
        using var process = new Process { StartInfo = StartInfo(workingDirectory, args) };
        process.Start();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"pipeliner {string.Join(' ', args)} did not finish within {Timeout}");
        }

        process.WaitForExit();
        return new CliResult(process.ExitCode, output.Result, error.Result);
    }

    private static ProcessStartInfo StartInfo(string workingDirectory, string[] args)
    {
        var directory = AppContext.BaseDirectory;
        var launcher = Path.Combine(directory, OperatingSystem.IsWindows() ? "pipeliner.exe" : "pipeliner");
        var library = Path.Combine(directory, "pipeliner.dll");
        Assert.True(File.Exists(library), $"{library} is missing: the test project must reference Pipeliner.Cli");

        var info = File.Exists(launcher) ? new ProcessStartInfo(launcher) : new ProcessStartInfo(DotnetHost()) { ArgumentList = { library } };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.WorkingDirectory = workingDirectory;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        // The launcher finds the runtime that runs these tests, wherever it is installed.
        info.Environment["DOTNET_ROOT"] = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        return info;
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
}
