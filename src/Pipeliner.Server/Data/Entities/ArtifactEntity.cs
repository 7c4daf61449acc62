namespace Pipeliner.Server.Data.Entities;

public sealed class ArtifactEntity
{
    public long Id { get; set; }
    public long JobId { get; set; }
    public required string Path { get; set; }
    public required string File { get; set; }
    public long Size { get; set; }
    public required string Sha256 { get; set; }
}
