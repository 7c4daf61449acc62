namespace Pipeliner.Engine.Backends;

/// <summary>
/// How a backend that fills the workspace itself (Kubernetes: an init container in the job's Pod) gets it: the
/// commit's tree and the archives to restore as URLs on the Pipeliner server, and a credential scoped to the attempt
/// that stops working when the attempt ends. No local path: the workspace never touches the agent's disk.
/// </summary>
/// <param name="SourceArchive">A tar of the commit's tree.</param>
/// <param name="Archives">Artifacts of the jobs this one needs, then its cache, restored in that order.</param>
/// <param name="Credential">Sent as <c>Authorization: Bearer</c> with every download.</param>
public sealed record WorkspaceFetch(Uri SourceArchive, IReadOnlyList<ArchiveDownload> Archives, string Credential);

/// <summary>One tar archive, extracted at the parent of <paramref name="Path"/> in the workspace once its SHA-256 matches.</summary>
public sealed record ArchiveDownload(string Path, Uri Url, string Sha256);
