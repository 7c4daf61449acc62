using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace Pipeliner.Engine.Tests.Support;

/// <summary>The real <c>pipeliner</c> command, started as a child process with its output captured.</summary>
internal sealed class PipelinerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();

    private PipelinerProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(_output, e.Data);
        _process.ErrorDataReceived += (_, e) => Append(_error, e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The pipeliner.dll built beside this test project (see the project file).</summary>
    public static string CliPath { get; } = Path.GetFullPath(typeof(PipelinerProcess).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "PipelinerCliPath").Value!);

    public int Id => _process.Id;

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public string Error
    {
        get
        {
            lock (_error) return _error.ToString();
        }
    }

    public static PipelinerProcess Start(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        if (!File.Exists(CliPath)) throw new InvalidOperationException($"the pipeliner CLI is not built at {CliPath}");
        // Started as a terminal starts a foreground command: with Ctrl-C's default action. A test run launched in the
        // background of a non-interactive shell inherits SIGINT ignored, and .NET then installs no handler for it, so
        // the interrupt test would wait for an exit that never comes. `env` resets it and execs, keeping the pid.
        var start = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet");
        start.ArgumentList.Add(CliPath);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        return new PipelinerProcess(Process.Start(start)!);
    }

    /// <summary>Waits for the exit (and the end of its output); fails the test when it takes longer than the timeout.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"pipeliner did not exit within {timeout}.\nstdout:\n{Output}\nstderr:\n{Error}");
        }

        return _process.ExitCode;
    }

    /// <summary>What Ctrl-C in a terminal sends.</summary>
    public void Interrupt()
    {
        var kill = new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", "kill -INT \"$0\"", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } };
        using var signal = Process.Start(kill)!;
        signal.WaitForExit();
        if (signal.ExitCode != 0) throw new InvalidOperationException($"kill -INT {_process.Id} failed");
    }

    /// <summary>SIGKILL: the process gets no chance to clean up.</summary>
    public void KillHard() => _process.Kill(entireProcessTree: false);

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

    private static void Append(StringBuilder target, string? line)
    {
        if (line is null) return;
        lock (target) target.Append(line).Append('\n');
    }
}
