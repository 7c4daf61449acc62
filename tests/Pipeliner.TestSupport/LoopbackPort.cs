using System.Net;
using System.Net.Sockets;

namespace Pipeliner.TestSupport;

/// <summary>Free TCP ports on 127.0.0.1 for the servers tests start.</summary>
public static class LoopbackPort
{
    private const int Attempts = 3;

    /// <summary>A port nothing listens on now (the system's choice, released at once).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// Starts a server process on <paramref name="port"/>, or on a free one when null. A free port is only free when it is
    /// looked at: another process may bind it before the server does (test assemblies and helpers start servers at once),
    /// so a server that <paramref name="lostItsPort"/> is disposed and another port tried. A port given by the caller is
    /// kept (a server restarted on its old address). A server that never got ready is disposed before the error goes up.
    /// </summary>
    /// <param name="waitUntilReady">Throws <see cref="InvalidOperationException"/> when the process exited instead.</param>
    public static async Task<T> StartServerAsync<T>(int? port, Func<int, T> launch, Func<T, Task> waitUntilReady, Func<T, bool> lostItsPort)
        where T : IAsyncDisposable
    {
        for (var attempt = 1; ; attempt++)
        {
            var server = launch(port ?? Free());
            try
            {
                await waitUntilReady(server);
                return server;
            }
            catch (InvalidOperationException) when (port is null && attempt < Attempts && lostItsPort(server))
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

    /// <summary>Whether a server's output says its address was taken (Kestrel's and sshd's wording alike).</summary>
    public static bool SaysAddressInUse(string output) => output.Contains("address already in use", StringComparison.OrdinalIgnoreCase);
}
