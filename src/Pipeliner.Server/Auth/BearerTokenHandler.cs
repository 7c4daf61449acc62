using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Data;

namespace Pipeliner.Server.Auth;

/// <summary>
/// Authenticates <c>Authorization: Bearer TOKEN</c> against the hashed tokens in the database. The identity is the
/// token's user (so two tokens of one person are one person), the role the lower of the token's and the user's.
/// </summary>
/// <remarks>
/// The database context is taken from the request's services only for a user's token: the handler is made for every
/// request without a session cookie (agent calls, downloads, webhooks), and a context leased from the pool for each of
/// them was work for nothing (docs/performance.md, issue 15).
/// </remarks>
public sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, TimeProvider time)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    /// <summary>The claim holding the name of the token the request came with (what it is for, not who).</summary>
    public const string TokenNameClaim = "pipeliner:token";

    /// <summary>The claim holding the id of the token the request came with, for what must stop working with it (download tickets).</summary>
    public const string TokenIdClaim = "pipeliner:token-id";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.NoResult();
        var token = header["Bearer ".Length..].Trim();
        if (token.Length == 0) return AuthenticateResult.Fail("empty bearer token");
        // An agent's credentials are no user's token: the agent endpoints check them themselves.
        if (Agents.AgentCredentials.IsAgentCredential(token)) return AuthenticateResult.NoResult();

        var hash = TokenHasher.Hash(token);
        var db = Context.RequestServices.GetRequiredService<PipelinerDbContext>();
        var stored = await TokenByHash.For(db)(db, hash, Context.RequestAborted);
        if (stored?.User is not { } user || TokenAccess.EffectiveRole(stored, user, time.GetUtcNow()) is not { } role)
            return AuthenticateResult.Fail("unknown, revoked or expired token, or a disabled user");

        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, user.Id.ToString(CultureInfo.InvariantCulture)),
            new Claim(ClaimTypes.Name, user.Name),
            new Claim(ClaimTypes.Role, role.ToName()),
            new Claim(TokenNameClaim, stored.Name),
            new Claim(TokenIdClaim, stored.Id.ToString(CultureInfo.InvariantCulture)),
        ], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    // Every API call with a token asks: compiled once, not funcletized and looked up in EF Core's query cache per call.
    private static readonly CompiledPerModel<Func<PipelinerDbContext, string, CancellationToken, Task<Data.Entities.ApiTokenEntity?>>> TokenByHash = new(() =>
        EF.CompileAsyncQuery((PipelinerDbContext db, string hash, CancellationToken _) =>
            db.ApiTokens.AsNoTracking().Include(t => t.User).FirstOrDefault(t => t.TokenHash == hash)));
}
