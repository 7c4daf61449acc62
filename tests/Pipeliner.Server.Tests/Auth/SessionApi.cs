using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Auth.Sessions;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Auth;

/// <summary>A browser's view of a signed-in session: a client that keeps cookies, and the anti-forgery proof it read.</summary>
public sealed class SessionClient(HttpClient http, string csrf) : IDisposable
{
    public HttpClient Http { get; } = http;

    /// <summary>The value of the pipeliner_csrf cookie, which the dashboard sends as X-Pipeliner-Csrf on writes.</summary>
    public string Csrf { get; } = csrf;

    /// <summary>Sends with the session cookie, and with the anti-forgery header unless told not to.</summary>
    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null, bool withProof = true, string? proof = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = JsonContent.Create(body);
        if (withProof) request.Headers.Add(SessionCookies.CsrfHeader, proof ?? Csrf);
        return Http.SendAsync(request);
    }

    public void Dispose() => Http.Dispose();
}

/// <summary>Signing in as a browser does, and setting up users with passwords.</summary>
internal static class SessionApi
{
    public const string Password = "correct horse battery";

    /// <summary>A new user of <paramref name="role"/> with <see cref="Password"/>, made through the admin API.</summary>
    public static async Task<string> CreateUserWithPasswordAsync(this PipelinerApp app, Role role, string hint = "user", string password = Password)
    {
        using var admin = app.Client();
        var name = await admin.CreateUserAsync(role.ToName(), hint);
        using var response = await admin.PatchUserAsync(name, new { password });
        await Api.ExpectAsync(response, HttpStatusCode.OK);
        return name;
    }

    /// <summary>A client with its own cookie jar, as a new browser (no token).</summary>
    public static HttpClient Browser(this PipelinerApp app, string? address = null)
    {
        var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        if (address is not null) client.DefaultRequestHeaders.Add(ClientAddress.Header, address);
        return client;
    }

    public static Task<HttpResponseMessage> PostSessionAsync(this HttpClient client, string user, string password, bool remember = false) =>
        client.PostAsJsonAsync("/api/session", new { user, password, remember });

    /// <summary>Signs in and returns the browser with its session, failing the test when the server refuses.</summary>
    public static async Task<SessionClient> SignInAsync(this PipelinerApp app, string user, string password = Password, bool remember = false,
        string? address = null)
    {
        var browser = app.Browser(address);
        using var response = await browser.PostSessionAsync(user, password, remember);
        await Api.ExpectAsync(response, HttpStatusCode.NoContent);
        return new SessionClient(browser, CookieOf(response, SessionCookies.CsrfName)?.Value
            ?? throw new Xunit.Sdk.XunitException("no pipeliner_csrf cookie was set"));
    }

    /// <summary>A cookie set by the response, with its attributes.</summary>
    public static SetCookie? CookieOf(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues("Set-Cookie", out var values)
            ? values.Select(SetCookie.Parse).FirstOrDefault(c => c.Name == name)
            : null;
}

/// <summary>A Set-Cookie header: name, value and attributes (lower case, without value for flags).</summary>
public sealed record SetCookie(string Name, string Value, IReadOnlyDictionary<string, string> Attributes)
{
    public static SetCookie Parse(string header)
    {
        var parts = header.Split(';', StringSplitOptions.TrimEntries);
        var first = parts[0].Split('=', 2);
        var attributes = parts.Skip(1).Select(p => p.Split('=', 2))
            .ToDictionary(p => p[0].ToLowerInvariant(), p => p.Length > 1 ? p[1] : "", StringComparer.Ordinal);
        return new SetCookie(first[0], first.Length > 1 ? first[1] : "", attributes);
    }

    public bool Has(string attribute) => Attributes.ContainsKey(attribute);
}
