using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Reflection;
using System.Text;

namespace Pipeliner.Server.Tests.Support;

/// <summary>
/// The built server (src/Pipeliner.Server/bin/&lt;Configuration&gt;/net10.0/Pipeliner.Server.dll) as a separate process on
/// a free 127.0.0.1 port, with its own data directory: started, stopped gracefully, or killed as with kill -9.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    public const string AdminToken = "plr_end-to-end-admin-token";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(180);

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public int Port { get; }
    public Uri BaseAddress { get; }
    public int ProcessId => _process.Id;

    /// <summary>What the server printed so far, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <param name="bootstrapToken">The first admin token to register; null lets the server generate and print one.</param>
    /// <param name="settings">More arguments, e.g. <c>--Pipeliner:Agent:Backend=shell</c>.</param>
    /// <param name="environment">Environment variables to set (null value: remove), e.g. DOCKER_HOST.</param>
    /// <param name="port">The port to listen on (a restarted server on its old address, where its agents look for it); null: a free one.</param>
    public static async Task<ServerProcess> StartAsync(
        string dataDir, int agentCapacity = 2, string? bootstrapToken = AdminToken, IEnumerable<string>? settings = null,
        IReadOnlyDictionary<string, string?>? environment = null, int? port = null)
    {
        return await TestSupport.LoopbackPort.StartServerAsync(
            port, free => Launch(dataDir, agentCapacity, bootstrapToken, settings, environment, free),
            server => server.WaitUntilHealthyAsync(), server => server.ExitedOnATakenPort());
    }

    /// <summary>Whether the server exited because its port was taken (Kestrel: "address already in use").</summary>
    private bool ExitedOnATakenPort()
    {
        if (!_process.HasExited) return false;
        _process.WaitForExit(); // the rest of its output
        return TestSupport.LoopbackPort.SaysAddressInUse(Output);
    }

    private static ServerProcess Launch(
        string dataDir, int agentCapacity, string? bootstrapToken, IEnumerable<string>? settings,
        IReadOnlyDictionary<string, string?>? environment, int port)
    {
        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dataDir,
        };
        foreach (var arg in new[]
                 {
                     ServerDll(), "--urls", $"http://127.0.0.1:{port}", $"--Pipeliner:DataDir={dataDir}",
                     "--Pipeliner:QueuePollInterval=00:00:00.050", $"--Pipeliner:Agent:Capacity={agentCapacity}",
                     $"--{PipelinerApp.LocalRepositoriesSetting}=true",
                 })
        {
            info.ArgumentList.Add(arg);
        }

        if (bootstrapToken is not null) info.ArgumentList.Add($"--Pipeliner:BootstrapToken={bootstrapToken}");
        foreach (var setting in settings ?? []) info.ArgumentList.Add(setting);
        UseQuickStartingJit(info);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>()) info.Environment[name] = value;
        Directory.CreateDirectory(dataDir);
        var server = new ServerProcess(new Process { StartInfo = info, EnableRaisingEvents = true }, port);
        server._process.OutputDataReceived += (_, e) => server.Append(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        server._process.Start();
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        return server;
    }

    /// <summary>Starts the server with these arguments and waits for it to exit, as with settings it refuses.</summary>
    public static async Task<(int ExitCode, string Output)> RunUntilExitAsync(string dataDir, params string[] arguments)
    {
        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = dataDir,
        };
        info.ArgumentList.Add(ServerDll());
        foreach (var argument in new[] { "--urls", $"http://127.0.0.1:{FreePort()}", $"--Pipeliner:DataDir={dataDir}" }.Concat(arguments))
            info.ArgumentList.Add(argument);
        UseQuickStartingJit(info);
        Directory.CreateDirectory(dataDir);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(StartTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the server did not exit within {StartTimeout}");
        }

        return (process.ExitCode, await output + await error);
    }

    /// <param name="handler">Sends the requests (e.g. a <see cref="RequestCounter"/> that outlives this server); not disposed with the client.</param>
    public HttpClient Client(string? token = AdminToken, HttpMessageHandler? handler = null)
    {
        var tagged = new ServerOutputHandler(() => Output) { InnerHandler = handler ?? new HttpClientHandler() };
        // A handler passed in outlives the client: the wrapper is then left undisposed, so that it stays usable.
        var client = new HttpClient(tagged, disposeHandler: handler is null)
        {
            BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60),
        };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>SIGTERM, as a service manager stops it, then waits for the process to end.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited) return;
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(timeout.Token);
    }

    /// <summary>kill -9: no shutdown code runs.</summary>
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

    private async Task WaitUntilHealthyAsync()
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"the server exited with {_process.ExitCode}:\n{Output}");
            try
            {
                using var response = await client.GetAsync("/healthz");
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Starting slowly.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"the server did not answer /healthz within {StartTimeout}:\n{Output}");
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    public static int FreePort() => TestSupport.LoopbackPort.Free();

    /// <summary>
    /// Tiered compilation for the test's server, which the server's build turns off for a long-lived process (every
    /// method compiled optimized once). A test's server lives for a few requests and jobs, and the suite starts dozens:
    /// compiled quickly first, a start took 6.8 s of CPU instead of 9.5 s (docs/testing.md, "Test run time"). What the
    /// code does is the same either way; a test that measures the server's own memory or CPU removes the variable through
    /// <c>environment</c> (a null value) to get the built settings. Without the instrumented copies that tiered PGO
    /// compiles in between (as the test process itself, Pipeliner.Server.Tests.csproj): a start took about 8 % less CPU.
    /// With tiered compilation off, as built, the PGO setting does nothing.
    /// </summary>
    private static void UseQuickStartingJit(ProcessStartInfo info)
    {
        info.Environment[QuickStartingJitVariable] = "1";
        info.Environment["DOTNET_TieredPGO"] = "0";
    }

    /// <summary>The variable <see cref="UseQuickStartingJit"/> sets; null in <c>environment</c> keeps the server's built setting.</summary>
    public const string QuickStartingJitVariable = "DOTNET_TieredCompilation";

    /// <summary>The server built by the project reference, in this repository's src folder, same configuration as the tests.</summary>
    private static string ServerDll()
    {
        var configuration = typeof(ServerProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (!File.Exists(Path.Combine(directory.FullName, "Pipeliner.sln"))) continue;
            var dll = Path.Combine(directory.FullName, "src", "Pipeliner.Server", "bin", configuration, "net10.0", "Pipeliner.Server.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} is missing: build Pipeliner.sln -c {configuration}", dll);
        }

        throw new DirectoryNotFoundException($"no Pipeliner.sln above {AppContext.BaseDirectory}");
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
}
