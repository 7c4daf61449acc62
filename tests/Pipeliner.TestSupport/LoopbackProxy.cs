using System.Net;
using System.Net.Sockets;

namespace Pipeliner.TestSupport;

/// <summary>
/// A TCP proxy on 127.0.0.1 in front of another loopback port, whose link a test can cut and restore: a cut resets every
/// connection through it (both ends get a TCP reset, whatever was in flight is gone) and refuses new ones until
/// <see cref="Restore"/>, as a network that drops out between two machines does to HTTP clients.
/// </summary>
public sealed class LoopbackProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<(Socket Client, Socket Server)> _links = [];
    private readonly Task _accepting;
    private bool _cut;
    private long _bytes;
    private int _resets;

    public LoopbackProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    public Uri Address => new($"http://127.0.0.1:{Port}");

    /// <summary>How many times a cut reset a live connection or refused a new one.</summary>
    public int Resets => Volatile.Read(ref _resets);

    /// <summary>Bytes carried in both directions.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Resets every connection and refuses new ones until <see cref="Restore"/>.</summary>
    public void Cut()
    {
        List<(Socket, Socket)> links;
        lock (_gate)
        {
            _cut = true;
            links = [.. _links];
            _links.Clear();
        }

        foreach (var (client, server) in links)
        {
            Reset(client);
            Reset(server);
            Interlocked.Increment(ref _resets);
        }
    }

    public void Restore()
    {
        lock (_gate) _cut = false;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Cut();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptSocketAsync(_stop.Token);
            _ = Task.Run(() => LinkAsync(client));
        }
    }

    private async Task LinkAsync(Socket client)
    {
        bool cut;
        lock (_gate) cut = _cut;
        if (cut)
        {
            Interlocked.Increment(ref _resets);
            Reset(client);
            return;
        }

        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        try
        {
            await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            Reset(client);
            server.Dispose();
            return;
        }

        lock (_gate)
        {
            if (_cut)
            {
                Reset(client);
                Reset(server);
                return;
            }

            _links.Add((client, server));
        }

        await Task.WhenAll(PumpAsync(client, server), PumpAsync(server, client));
        lock (_gate) _links.Remove((client, server));
        client.Dispose();
        server.Dispose();
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[1 << 16];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token)) > 0)
            {
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
                Interlocked.Add(ref _bytes, read);
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Cut, or the other side went away: both ends are reset.
            Reset(from);
            Reset(to);
        }
    }

    /// <summary>Closes with a TCP reset (linger 0), not a graceful close: what the peer sees when the link is gone.</summary>
    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }
    }
}
