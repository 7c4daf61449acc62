using Pipeliner.Core.Model;

namespace Pipeliner.Server.Agents;

/// <summary>
/// The most an attempt's uploads of one kind may hold together (their archives' bytes), from its job's planned
/// resources, as the embedded agent applies them: artifacts their limit (<c>resources.artifacts</c>); the cache the job's
/// workspace limit (<c>resources.workspace</c>: it is archived from the workspace). Reports have no ceiling of their own
/// here (each upload, of any kind, is bounded by <c>Pipeliner:Agent:MaxUploadBytes</c>).
/// </summary>
public sealed record UploadCeiling(string Kind, ByteSize Limit)
{
    public static UploadCeiling? Of(string kind, ResourceLimits resources) => kind switch
    {
        "artifacts" when resources.Artifacts is { } artifacts => new UploadCeiling(kind, artifacts),
        "cache" when resources.Workspace is { } workspace => new UploadCeiling(kind, workspace),
        _ => null,
    };

    /// <summary>Why the uploads of this kind were refused: the limit, the key that sets it and the server's setting.</summary>
    public string Refusal => Kind == "artifacts"
        ? $"the artifacts together hold more than their limit of {Limit} (resources.artifacts; the server's default is Pipeliner:Limits:Artifacts); none of them was stored"
        : $"the cache's archives together hold more than the job's workspace limit of {Limit} (resources.workspace; the server's default is Pipeliner:Limits:Workspace); none of it was stored";

    /// <summary>The attempt's end as the server records it when the artifacts it was told of are over the limit.</summary>
    public string Message => $"artifacts over their limit of {Limit} (resources.artifacts)";
}
