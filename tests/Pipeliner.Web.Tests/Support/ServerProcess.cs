using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

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
    public static string NewUrl() => $"http://127.0.0.1:{FreePort().ToString(CultureInfo.InvariantCulture)}";

    /// <param name="url">Where it listens; a free loopback port when null.</param>
    /// <param name="settings">More command-line settings, e.g. <c>--Pipeliner:Auth:Oidc:Authority=...</c>.</param>
    public static async Task<ServerProcess> StartAsync(string dataDir, string? url = null, IEnumerable<string>? settings = null)
    {
        var dll = Repository.ServerDll;
        var index = Path.Combine(Path.GetDirectoryName(dll)!, "wwwroot", "index.html");
        if (!File.Exists(index)) throw new InvalidOperationException($"the server build has no dashboard: {index} is missing");

        // A free port is only free when it is looked at: another process may bind it before the server does (test
        // assemblies start servers at once). Then another one is tried; an address given by the caller is kept.
        for (var attempt = 1; ; attempt++)
        {
            var server = Launch(dll, dataDir, url ?? NewUrl(), settings);
            try
            {
                await server.WaitUntilHealthyAsync(TimeSpan.FromSeconds(180));
                return server;
            }
            catch (InvalidOperationException) when (url is null && attempt < 3 && server.ExitedOnATakenPort())
            {
                await server.DisposeAsync();
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>Whether the server exited because its port was taken (Kestrel: "address already in use").</summary>
    private bool ExitedOnATakenPort()
    {
        if (!_process.HasExited) return false;
        _process.WaitForExit(); // the rest of its output
        return Output.Contains("address already in use", StringComparison.OrdinalIgnoreCase);
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
