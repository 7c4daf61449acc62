using Microsoft.AspNetCore.Authentication;
using Pipeliner.Server.Audit;
using Pipeliner.Server.Auth.Sessions;

namespace Pipeliner.Server.Auth.Oidc;

/// <summary>
/// Ends the OpenID Connect flow in Pipeliner's own server-side session (the same one a password gives): when the
/// provider's answer is validated, the account's user is found or created, the session starts, and the browser goes
/// back to where it wanted to be. Any failure goes to the sign-in page with the reason. Called by the handler's events
/// (<see cref="OidcSetup"/>), resolved per request; not an <c>OpenIdConnectEvents</c> subclass, so that loading this
/// assembly's types (EF Core's search for migrations does, at every start) does not load OpenID Connect's assemblies
/// into a server without single sign-on (docs/performance.md, "Memory, 2026-12-05").
/// </summary>
public sealed class OidcEvents(OidcUsers users, SessionStore sessions, AuditTrail audit, ILogger<OidcEvents> logger)
{
    public const string RememberItem = "pipeliner.remember";

    public async Task TicketReceived(TicketReceivedContext context)
    {
        var http = context.HttpContext;
        var cancellationToken = http.RequestAborted;
        var found = await users.FindOrCreateAsync(context.Principal!, cancellationToken);
        context.HandleResponse();
        if (found.User is not { } user)
        {
            var account = SessionContracts.Printable(context.Principal!.FindFirst("sub")?.Value ?? "?");
            await audit.RecordAsync(new AuditEvent("session.fail", null, $"single sign-on account {account}", found.Problem), cancellationToken);
            http.Response.Redirect(SignInPageWith(found.Problem!));
            return;
        }

        var remember = context.Properties?.Items.TryGetValue(RememberItem, out var value) == true && value == "true";
        audit.Add(new AuditEvent("session.create", null, $"user {user.Name}", $"single sign-on{(remember ? ", kept" : "")}"), actor: user.Name);
        await sessions.StartAsync(http, user, "oidc", remember, cancellationToken);
        http.Response.Redirect(SessionContracts.SafeReturnPath(context.ReturnUri));
    }

    public Task RemoteFailure(RemoteFailureContext context)
    {
        logger.LogWarning("Single sign-on failed: {Reason}", context.Failure?.Message);
        context.HandleResponse();
        context.Response.Redirect(SignInPageWith($"single sign-on failed: {context.Failure?.Message}"));
        return Task.CompletedTask;
    }

    private static string SignInPageWith(string problem) => $"/sign-in?error={Uri.EscapeDataString(problem)}";
}
