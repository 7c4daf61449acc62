using System.Net;
using System.Net.Sockets;

namespace Pipeliner.TestSupport;

/// <summary>Free TCP ports on 127.0.0.1 for the servers tests start.</summary>
public static class LoopbackPort
{
    /// <summary>A port nothing listens on now (the system's choice, released at once).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
