using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Pipeliner.TestSupport;

namespace Pipeliner.Web.Tests.Support;

/// <summary>
/// The real server as its own process (the build's Pipeliner.Server.dll), on a free loopback port, with its own data
/// directory and the embedded agent on the real Docker engine (DOCKER_HOST).
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    public const string AdminToken = "plr_dashboard-end-to-end-admin";

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process, string baseUrl, string dataDir)
    {
        _process = process;
        BaseUrl = baseUrl;
        DataDir = dataDir;
    }

    public string BaseUrl { get; }

    public string DataDir { get; }

    /// <summary>What the server printed so far, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>An address on a free loopback port, for a server that must be known before it starts (an OIDC redirect URI).</summary>
    public static string NewUrl() => $"http://127.0.0.1:{LoopbackPort.Free().ToString(CultureInfo.InvariantCulture)}";

    /// <param name="url">Where it listens; a free loopback port when null.</param>
    /// <param name="settings">More command-line settings, e.g. <c>--Pipeliner:Auth:Oidc:Authority=...</c>.</param>
    public static async Task<ServerProcess> StartAsync(string dataDir, string? url = null, IEnumerable<string>? settings = null)
    {
        var dll = Repository.ServerDll;
        var index = Path.Combine(Path.GetDirectoryName(dll)!, "wwwroot", "index.html");
        if (!File.Exists(index)) throw new InvalidOperationException($"the server build has no dashboard: {index} is missing");

        int? port = url is null ? null : new Uri(url).Port;
        return await LoopbackPort.StartServerAsync(
            port, free => Launch(dll, dataDir, $"http://127.0.0.1:{free.ToString(CultureInfo.InvariantCulture)}", settings),
            server => server.WaitUntilHealthyAsync(TimeSpan.FromSeconds(180)), server => server.ExitedOnATakenPort());
    }

    /// <summary>Whether the server exited because its port was taken (Kestrel: "address already in use").</summary>
    private bool ExitedOnATakenPort()
    {
        if (!_process.HasExited) return false;
        _process.WaitForExit(); // the rest of its output
        return LoopbackPort.SaysAddressInUse(Output);
    }

    private static ServerProcess Launch(string dll, string dataDir, string url, IEnumerable<string>? settings)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     dll, "--urls", url, $"--Pipeliner:DataDir={dataDir}", $"--Pipeliner:BootstrapToken={AdminToken}",
                     "--Pipeliner:Agent:Capacity=2", "--Pipeliner:QueuePollInterval=00:00:00.050",
                     "--Pipeliner:Projects:AllowLocalRepositories=true",
                 }.Concat(settings ?? []))
        {
            start.ArgumentList.Add(argument);
        }

        // Tiered compilation, which the server's build turns off for a long-lived process, and without tiered PGO's
        // instrumented copies: as Pipeliner.Server.Tests starts its servers, a start takes seconds of CPU less
        // (docs/testing.md). What the server does is the same.
        start.Environment["DOTNET_TieredCompilation"] = "1";
        start.Environment["DOTNET_TieredPGO"] = "0";
        var server = new ServerProcess(new Process { StartInfo = start }, url, dataDir);
        server._process.OutputDataReceived += (_, e) => server.Append(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        server._process.Start();
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        return server;
    }

    public HttpClient Api(string? token = AdminToken)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromMinutes(2) };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private async Task WaitUntilHealthyAsync(TimeSpan timeout)
    {
        using var client = new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"the server exited with {_process.ExitCode}:\n{Output}");
            try
            {
                if ((await client.GetAsync("/healthz")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Busy starting.
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"the server did not answer /healthz within {timeout}:\n{Output}");
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }
}
