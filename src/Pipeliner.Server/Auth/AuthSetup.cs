using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Auth.Oidc;
using Pipeliner.Server.Auth.Sessions;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Auth;

/// <summary>
/// Who a request is: a bearer token (API, CLI) when it carries an Authorization header, else the dashboard's session
/// cookie; single sign-on when configured. Writes made with the cookie must carry the anti-forgery proof.
/// </summary>
public static class AuthSetup
{
    /// <summary>Picks the scheme per request, so an API client's token is never mixed up with a browser's cookie.</summary>
    public const string DefaultScheme = "Pipeliner";

    public static void AddPipelinerAuth(this IServiceCollection services, PipelinerOptions settings)
    {
        services.AddSingleton<Passwords>();
        services.AddSingleton<SessionCookies>();
        services.AddScoped<SessionStore>();
        services.AddScoped<SignInThrottle>();
        services.AddScoped<SessionJanitor>();
        services.AddAuthentication(DefaultScheme)
            .AddPolicyScheme(DefaultScheme, "Bearer token or session cookie", policy => policy.ForwardDefaultSelector = http =>
                http.Request.Headers.Authorization.Count == 0 && SessionCookies.Read(http.Request) is not null
                    ? SessionHandler.SchemeName
                    : BearerTokenHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null)
            .AddScheme<AuthenticationSchemeOptions, SessionHandler>(SessionHandler.SchemeName, null)
            .AddPipelinerOidc(settings.Auth.Oidc);
        services.AddAuthorization();
        services.AddSingleton<IConfigureOptions<AuthorizationOptions>>(provider =>
            new ConfigureOptions<AuthorizationOptions>(authorization =>
                Policies.Add(authorization, provider.GetRequiredService<IOptions<PipelinerOptions>>())));
    }

    private const string AuthenticationMiddlewareSet = "__AuthenticationMiddlewareSet";

    public static void UsePipelinerAuth(this IApplicationBuilder app)
    {
        // Not for endpoints that check their own credential (agent protocol, webhooks): nothing there reads the user.
        // WebApplication puts UseAuthentication() at the pipeline's start unless the pipeline carries this mark, which
        // UseAuthentication sets only on the builder it is called on (here the branch's): OwnCredentialCheckTests fails
        // if the framework ever runs the schemes for every request again.
        app.Properties[AuthenticationMiddlewareSet] = true;
        app.UseWhen(OwnCredentialCheck.NeedsUserAuthentication, user => user.UseAuthentication());
        app.UseMiddleware<AntiForgeryGuard>();
        app.UseAuthorization();
    }

    public static void MapSignIn(this IEndpointRouteBuilder app)
    {
        app.MapSessions();
        app.MapPasswords();
    }
}
