using Pipeliner.Core.Model;

namespace Pipeliner.Cli.Running;

/// <summary>The options of <c>pipeliner run</c>, as given.</summary>
internal sealed record RunRequest
{
    public string? Repository { get; init; }
    public string? File { get; init; }
    public string Commit { get; init; } = "HEAD";
    public EventKind Event { get; init; } = EventKind.Push;
    public string? Branch { get; init; }
    public string? Tag { get; init; }
    public IReadOnlyList<string> Jobs { get; init; } = [];
    public IReadOnlyList<string> Approve { get; init; } = [];
    public IReadOnlyList<string> Secrets { get; init; } = [];
    public string? SecretsFile { get; init; }
    public string Backend { get; init; } = "docker";
    public int Parallel { get; init; } = Environment.ProcessorCount;
    public string? DataDirectory { get; init; }
}
