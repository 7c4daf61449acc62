using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Pipeliner.Server.Auth.Sessions;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Auth.Oidc;

/// <summary>
/// ASP.NET Core's OpenID Connect handler, when <c>Pipeliner:Auth:Oidc:Authority</c> is set: the authorization code
/// flow with PKCE, the answer in the query (a top-level GET, so the SameSite=Lax correlation cookies come back over
/// plain HTTP too), the user's claims from the userinfo endpoint, claim names as the provider sends them. Without an
/// authority none of OpenID Connect's assemblies is loaded: the code that names their types is in methods of its own,
/// never inlined, that run only when single sign-on is configured.
/// </summary>
public static class OidcSetup
{
    public const string SchemeName = "oidc";
    public const string CallbackPath = "/signin-oidc";

    public static AuthenticationBuilder AddPipelinerOidc(this AuthenticationBuilder authentication, OidcOptions oidc)
    {
        if (!oidc.Enabled) return authentication;
        authentication.Services.AddScoped<OidcUsers>().AddScoped<OidcEvents>();
        return AddOpenIdConnect(authentication, oidc);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static AuthenticationBuilder AddOpenIdConnect(AuthenticationBuilder authentication, OidcOptions oidc)
    {
        return authentication.AddOpenIdConnect(SchemeName, options =>
        {
            options.Authority = oidc.Authority;
            options.ClientId = oidc.ClientId;
            options.ClientSecret = oidc.ClientSecret;
            // Plain http only for a provider on this machine (the settings check refuses it elsewhere).
            options.RequireHttpsMetadata = !oidc.Authority!.StartsWith("http://", StringComparison.OrdinalIgnoreCase);
            options.ResponseType = OpenIdConnectResponseType.Code;
            options.ResponseMode = OpenIdConnectResponseMode.Query;
            options.UsePkce = true;
            options.CallbackPath = CallbackPath;
            options.MapInboundClaims = false;
            options.GetClaimsFromUserInfoEndpoint = true;
            options.SaveTokens = false;
            options.Scope.Clear();
            options.Scope.Add("openid");
            foreach (var scope in oidc.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries)) options.Scope.Add(scope);
            options.ClaimActions.MapUniqueJsonKey(oidc.NameClaim, oidc.NameClaim);
            options.ClaimActions.MapUniqueJsonKey("email", "email");
            if (!string.IsNullOrWhiteSpace(oidc.RoleClaim)) options.ClaimActions.MapJsonKey(oidc.RoleClaim, oidc.RoleClaim);
            options.CorrelationCookie.SameSite = SameSiteMode.Lax;
            options.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            options.NonceCookie.SameSite = SameSiteMode.Lax;
            options.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            // OidcEvents ends every flow itself, in a Pipeliner session; nothing is ever signed in to this scheme.
            options.SignInScheme = SessionHandler.SchemeName;
            options.Events = new OpenIdConnectEvents
            {
                OnTicketReceived = context => context.HttpContext.RequestServices.GetRequiredService<OidcEvents>().TicketReceived(context),
                OnRemoteFailure = context => context.HttpContext.RequestServices.GetRequiredService<OidcEvents>().RemoteFailure(context),
            };
        });
    }
}
