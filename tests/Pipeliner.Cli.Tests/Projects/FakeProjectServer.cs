using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Pipeliner.Cli.Tests.Projects;

/// <summary>An HTTP listener on 127.0.0.1 that records one request and answers with a canned status and body.</summary>
internal sealed class FakeProjectServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _serving;

    public FakeProjectServer(HttpStatusCode status, string body)
    {
        // A free port may be taken by another process between the look and the listen (test assemblies run at once):
        // another port is tried then.
        for (var attempt = 1; ; attempt++)
        {
            Url = $"http://127.0.0.1:{FreePort()}";
            _listener.Prefixes.Add(Url + "/");
            try
            {
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                _listener.Prefixes.Clear();
            }
        }

        _serving = ServeOnceAsync(status, body);
    }

    public string Url { get; private set; } = "";
    public string? Method { get; private set; }
    public string? Path { get; private set; }
    public string? Authorization { get; private set; }
    public string? RequestBody { get; private set; }

    public void Dispose()
    {
        _listener.Close();
        try
        {
            _serving.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The listener was closed before any request came.
        }
    }

    private async Task ServeOnceAsync(HttpStatusCode status, string body)
    {
        var context = await _listener.GetContextAsync();
        Method = context.Request.HttpMethod;
        Path = context.Request.Url!.AbsolutePath;
        Authorization = context.Request.Headers["Authorization"];
        using (var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8)) RequestBody = await reader.ReadToEndAsync();
        context.Response.StatusCode = (int)status;
        context.Response.ContentType = "application/json";
        var bytes = Encoding.UTF8.GetBytes(body);
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
