using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace Pipeliner.Server.Tests.Support;

/// <summary>
/// The built <c>pipeliner agent</c> command (src/Pipeliner.Cli/bin/&lt;Configuration&gt;/net10.0/pipeliner.dll) as a
/// separate process against a server: started, stopped with SIGTERM, or killed as with kill -9.
/// </summary>
public sealed class AgentProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private AgentProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public bool HasExited => _process.HasExited;

    public int ProcessId => _process.Id;

    public int ExitCode => _process.ExitCode;

    /// <summary>
    /// The longest wait of the tests' agents before they try an unreachable server again (the product's default is 10 s):
    /// the outages the tests make last seconds, and an agent that waits 10 s after each only makes the test wait with it.
    /// </summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>Starts the agent; the options go through the environment variables the command documents (the token too).</summary>
    public static AgentProcess Start(
        Uri server, string? token, string name, string labels, string workDir, int capacity = 1, string backend = "docker")
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Path.GetTempPath(),
        };
        info.ArgumentList.Add(CliDll());
        info.ArgumentList.Add("agent");
        info.ArgumentList.Add("--name");
        info.ArgumentList.Add(name);
        info.ArgumentList.Add("--labels");
        info.ArgumentList.Add(labels);
        info.Environment["PIPELINER_SERVER"] = server.ToString();
        info.Environment["PIPELINER_AGENT_TOKEN"] = token;
        info.Environment["PIPELINER_AGENT_CAPACITY"] = capacity.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["PIPELINER_AGENT_WORK_DIR"] = workDir;
        info.Environment["PIPELINER_AGENT_BACKEND"] = backend;
        info.Environment["PIPELINER_AGENT_MAX_RETRY_DELAY"] = MaxRetryDelay.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var agent = new AgentProcess(new Process { StartInfo = info, EnableRaisingEvents = true }, name);
        agent._process.OutputDataReceived += (_, e) => agent.Append(e.Data);
        agent._process.ErrorDataReceived += (_, e) => agent.Append(e.Data);
        agent._process.Start();
        agent._process.BeginOutputReadLine();
        agent._process.BeginErrorReadLine();
        return agent;
    }

    /// <summary>Waits until the agent printed <paramref name="text"/> (e.g. that it waits for jobs).</summary>
    public Task WaitForOutputAsync(string text, TimeSpan? timeout = null) =>
        Poll.UntilAsync(() => Task.FromResult(Output), output => output.Contains(text, StringComparison.Ordinal) || _process.HasExited,
            $"agent {Name} to say '{text}'", timeout).ContinueWith(t =>
        {
            if (!t.Result.Contains(text, StringComparison.Ordinal))
                throw new Xunit.Sdk.XunitException($"agent {Name} exited ({_process.ExitCode}) without saying '{text}':\n{Output}");
        }, TaskScheduler.Default);

    /// <summary>SIGTERM (or SIGINT), as a service manager or Ctrl-C stops it.</summary>
    public async Task SignalAsync(string signal = "TERM")
    {
        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
    }

    /// <summary>kill -9: no shutdown code runs; its job's container keeps running until someone removes it.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) await KillAsync();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    private static string CliDll()
    {
        var configuration = typeof(AgentProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (!File.Exists(Path.Combine(directory.FullName, "Pipeliner.sln"))) continue;
            var dll = Path.Combine(directory.FullName, "src", "Pipeliner.Cli", "bin", configuration, "net10.0", "pipeliner.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} is missing: build Pipeliner.sln -c {configuration}", dll);
        }

        throw new DirectoryNotFoundException($"no Pipeliner.sln above {AppContext.BaseDirectory}");
    }
}
