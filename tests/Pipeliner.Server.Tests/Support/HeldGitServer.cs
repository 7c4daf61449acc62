using System.Net;
using System.Net.Sockets;

namespace Pipeliner.Server.Tests.Support;

/// <summary>
/// A git server that answers only when told: <c>git daemon</c> behind a TCP relay on 127.0.0.1 that accepts each
/// connection and holds it, unanswered, until <see cref="Release"/>; from then on it relays to the daemon. A fetch
/// from it hangs as one from an overloaded forge does, for as long as a test needs the server to be mid-fetch.
/// </summary>
public sealed class HeldGitServer : IAsyncDisposable
{
    private readonly GitDaemon _daemon;
    private readonly TcpListener _listener;
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _connections = [];
    private readonly Task _accepting;
    private int _accepted;

    private HeldGitServer(GitDaemon daemon)
    {
        _daemon = daemon;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Connections accepted so far: one more each time someone starts fetching.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    public string UrlOf(string repository) => $"git://127.0.0.1:{Port}/{repository}";

    /// <summary>Serves the repositories under <paramref name="basePath"/>, holding every connection until released.</summary>
    public static async Task<HeldGitServer> StartAsync(string basePath) => new(await GitDaemon.StartAsync(basePath));

    /// <summary>Lets held and later connections through to the daemon.</summary>
    public void Release() => _released.TrySetResult();

    public Task WaitForFetchAsync(TimeSpan? timeout = null) =>
        Poll.UntilAsync(() => Task.FromResult(Accepted), accepted => accepted > 0, "a fetch to reach the held git server", timeout);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_connections)
        {
            foreach (var connection in _connections) connection.Dispose();
        }

        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        await _daemon.DisposeAsync();
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            Interlocked.Increment(ref _accepted);
            lock (_connections) _connections.Add(client);
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        try
        {
            await _released.Task.WaitAsync(_stop.Token);
            using var upstream = new TcpClient();
            await upstream.ConnectAsync(IPAddress.Loopback, _daemon.Port, _stop.Token);
            await using var downstreamStream = client.GetStream();
            await using var upstreamStream = upstream.GetStream();
            var up = CopyThenCloseAsync(downstreamStream, upstream.Client);
            var down = CopyThenCloseAsync(upstreamStream, client.Client);
            await Task.WhenAll(up, down);

            async Task CopyThenCloseAsync(NetworkStream from, Socket to)
            {
                await from.CopyToAsync(new NetworkStream(to, ownsSocket: false), _stop.Token);
                to.Shutdown(SocketShutdown.Send);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // The fetch gave up, or the test ended.
        }
        finally
        {
            client.Dispose();
        }
    }
}
