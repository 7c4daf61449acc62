using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Pipeliner.TestSupport.Git;

/// <summary>
/// The bare repositories of a folder served over git's smart HTTP protocol on 127.0.0.1: <c>git http-backend</c>, git's
/// own CGI program, behind Kestrel, which asks for HTTP basic authentication with one user name and password.
/// </summary>
public sealed class GitHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _root;
    private readonly string _username;
    private readonly string _password;
    private readonly ConcurrentQueue<string> _refusedUsers = new();

    private GitHttpServer(WebApplication app, string root, string username, string password)
    {
        _app = app;
        _root = root;
        _username = username;
        _password = password;
    }

    public int Port { get; private set; }

    /// <summary>User names of requests refused for wrong credentials ("" when none were sent).</summary>
    public IReadOnlyCollection<string> RefusedUsers => _refusedUsers;

    public string UrlOf(string repository) => $"http://127.0.0.1:{Port}/{repository}";

    public static async Task<GitHttpServer> StartAsync(string root, string username, string password)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new GitHttpServer(app, root, username, password);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server.Port = new Uri(address).Port;
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (User(context.Request) is not { } user)
        {
            context.Response.StatusCode = (int)HttpStatusCode.Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"git\"";
            return;
        }

        await RunBackendAsync(context, user);
    }

    /// <summary>The user when the request carries the right user name and password; otherwise null (and the refusal is noted).</summary>
    private string? User(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.Ordinal))
        {
            _refusedUsers.Enqueue("");
            return null;
        }

        var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..]));
        var colon = pair.IndexOf(':', StringComparison.Ordinal);
        var (user, password) = colon < 0 ? (pair, "") : (pair[..colon], pair[(colon + 1)..]);
        if (user == _username && password == _password) return user;
        _refusedUsers.Enqueue(user);
        return null;
    }

    private async Task RunBackendAsync(HttpContext context, string user)
    {
        var request = context.Request;
        var info = new ProcessStartInfo("git", ["http-backend"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var environment = info.Environment;
        environment["GIT_CONFIG_NOSYSTEM"] = "1";
        environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        environment["GIT_PROJECT_ROOT"] = _root;
        environment["GIT_HTTP_EXPORT_ALL"] = "1";
        environment["REQUEST_METHOD"] = request.Method;
        environment["PATH_INFO"] = request.Path.Value;
        environment["QUERY_STRING"] = request.QueryString.HasValue ? request.QueryString.Value![1..] : "";
        environment["CONTENT_TYPE"] = request.ContentType ?? "";
        environment["REMOTE_USER"] = user;
        environment["REMOTE_ADDR"] = "127.0.0.1";
        environment["HTTP_CONTENT_ENCODING"] = request.Headers.ContentEncoding.ToString();
        environment["GIT_PROTOCOL"] = request.Headers["Git-Protocol"].ToString();

        using var backend = Process.Start(info)!;
        var errors = backend.StandardError.ReadToEndAsync();
        var input = Task.Run(async () =>
        {
            await request.Body.CopyToAsync(backend.StandardInput.BaseStream);
            backend.StandardInput.Close();
        });
        var output = backend.StandardOutput.BaseStream;
        foreach (var (name, value) in await ReadCgiHeadersAsync(output))
        {
            if (name.Equals("Status", StringComparison.OrdinalIgnoreCase)) context.Response.StatusCode = int.Parse(value.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            else context.Response.Headers.Append(name, value);
        }

        await output.CopyToAsync(context.Response.Body);
        await input;
        await backend.WaitForExitAsync();
        await errors;
    }

    /// <summary>The CGI response's header lines, up to the empty line; the stream is left at the body.</summary>
    private static async Task<List<(string Name, string Value)>> ReadCgiHeadersAsync(Stream output)
    {
        var headers = new List<(string, string)>();
        var line = new StringBuilder();
        var one = new byte[1];
        while (await output.ReadAsync(one) == 1)
        {
            if (one[0] == '\r') continue;
            if (one[0] != '\n')
            {
                line.Append((char)one[0]);
                continue;
            }

            if (line.Length == 0) break;
            var text = line.ToString();
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            headers.Add((text[..colon].Trim(), text[(colon + 1)..].Trim()));
            line.Clear();
        }

        return headers;
    }
}
