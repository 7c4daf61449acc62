using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Http;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Auth.Oidc;

/// <summary>
/// <c>GET /api/session/oidc/sign-out</c>: where the dashboard sends the browser after <c>DELETE /api/session</c> ended a
/// single sign-on session, so that the provider's own session ends too (OpenID Connect RP-initiated logout: its
/// <c>end_session_endpoint</c> with our <c>client_id</c> and <c>post_logout_redirect_uri</c> = the sign-in page). A provider
/// that announces no such endpoint, or cannot be reached, leaves its session as it is: the browser goes straight to
/// the sign-in page (ours has ended either way). It signs nobody out by itself, so it needs no anti-forgery proof.
/// </summary>
public static class OidcSignOut
{
    public const string SignedOutPath = "/sign-in";

    public static async Task<Results<RedirectHttpResult, ProblemHttpResult>> EndProviderSessionAsync(
        HttpContext http, IOptions<PipelinerOptions> options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var oidc = options.Value.Auth.Oidc;
        if (!oidc.Enabled) return Problems.NotFound("single sign-on is not configured (Pipeliner:Auth:Oidc:Authority)");
        var back = $"{http.BaseUrl().TrimEnd('/')}{SignedOutPath}";
        string? endSession = null;
        try
        {
            endSession = await EndSessionEndpointAsync(http.RequestServices, cancellationToken);
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or IOException)
        {
            loggers.CreateLogger(typeof(OidcSignOut)).LogWarning("The single sign-on provider's metadata cannot be read to end its session: {Reason}", e.Message);
        }

        if (string.IsNullOrEmpty(endSession)) return TypedResults.Redirect(SignedOutPath);
        var separator = endSession.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        return TypedResults.Redirect(
            $"{endSession}{separator}client_id={Uri.EscapeDataString(oidc.ClientId ?? "")}&post_logout_redirect_uri={Uri.EscapeDataString(back)}");
    }

    /// <summary>
    /// The provider's <c>end_session_endpoint</c>, from its metadata (read once by the handler, then cached). OpenID
    /// Connect's types are named only here, in a method that is never inlined, so the endpoint above does not load their
    /// assemblies into a server without single sign-on. The reading is awaited as a plain <c>Task</c>: a
    /// <c>TaskAwaiter&lt;OpenIdConnectConfiguration&gt;</c> in the state machine (a struct over their type) would load them
    /// with it whenever the state machine's type is loaded — by a run of this method, or by anything that loads every type
    /// of this assembly (EF Core's own search for migrations did at every start; the server's, <see
    /// cref="Data.Providers.MetadataMigrationsAssembly"/>, no longer does).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<string?> EndSessionEndpointAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var handler = services.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get(OidcSetup.SchemeName);
        if (handler.ConfigurationManager is not { } metadata) return null;
        var reading = metadata.GetConfigurationAsync(cancellationToken);
        await (Task)reading;
        return reading.Result.EndSessionEndpoint;
    }
}
