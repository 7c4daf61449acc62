namespace Pipeliner.Server.Auth;

/// <summary>
/// Endpoint metadata: the endpoint checks its caller's credential itself and reads no user identity — the agent protocol
/// (agent and attempt credentials, <c>Agents/AgentProtocolEndpoints</c>) and webhooks (the forge's signature). The user
/// schemes (bearer token, session cookie) are not run for it (<see cref="AuthSetup.UsePipelinerAuth"/>): their result was
/// never used there, and they ran for each of a remote agent's calls (docs/performance.md, issue 15). Set where the
/// endpoint is mapped, with its anonymity, so it follows the endpoint and not a path.
/// </summary>
public sealed class OwnCredentialCheck
{
    private OwnCredentialCheck()
    {
    }

    public static OwnCredentialCheck Instance { get; } = new();

    /// <summary>Whether the user schemes run for this request: for every endpoint but one that checks its own credential, and for no endpoint.</summary>
    public static bool NeedsUserAuthentication(HttpContext http) => http.GetEndpoint()?.Metadata.GetMetadata<OwnCredentialCheck>() is null;
}

public static class OwnCredentialCheckExtensions
{
    /// <summary>Anonymous to the user schemes, which are not run for it: the endpoint checks its caller's credential itself.</summary>
    public static TBuilder ChecksItsOwnCredentials<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AllowAnonymous().WithMetadata(OwnCredentialCheck.Instance);
}
