using System.Diagnostics;
using System.Net.Sockets;

namespace Pipeliner.Server.Tests.Support;

/// <summary><c>git daemon</c> serving the bare repositories of a folder read-only over git:// on 127.0.0.1.</summary>
public sealed class GitDaemon : IAsyncDisposable
{
    private readonly Process _process;

    private GitDaemon(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string UrlOf(string repository) => $"git://127.0.0.1:{Port}/{repository}";

    public static async Task<GitDaemon> StartAsync(string basePath)
    {
        // A free port is only free when it is looked at: a daemon that could not bind it exits, and another port is tried.
        for (var attempt = 1; ; attempt++)
        {
            var port = ServerProcess.FreePort();
            var info = new ProcessStartInfo("git") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var arg in new[]
                     {
                         "daemon", $"--base-path={basePath}", "--export-all", "--reuseaddr", "--listen=127.0.0.1", $"--port={port}", basePath,
                     })
            {
                info.ArgumentList.Add(arg);
            }

            var daemon = new GitDaemon(Process.Start(info)!, port);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (true)
            {
                try
                {
                    using var probe = new TcpClient();
                    await probe.ConnectAsync("127.0.0.1", port);
                    return daemon;
                }
                catch (SocketException) when (DateTime.UtcNow < deadline && !daemon._process.HasExited)
                {
                    await Task.Delay(50);
                }
                catch (SocketException) when (daemon._process.HasExited && attempt < 3)
                {
                    await daemon.DisposeAsync();
                    break;
                }
            }
        }
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
}
