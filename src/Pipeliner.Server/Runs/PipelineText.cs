using Pipeliner.Core;
using Pipeliner.Core.Diagnostics;
using Pipeliner.Core.Model;
using Pipeliner.Engine.Workspaces;

namespace Pipeliner.Server.Runs;

/// <summary>
/// Reads a project's pipeline file at a commit for every path that makes runs (webhooks, manual triggers, schedules):
/// a file over <see cref="MaxBytes"/> is refused by its size, before any of it is read or parsed.
/// </summary>
public static class PipelineText
{
    /// <summary>The most a pipeline file may hold, as <c>pipeliner validate</c> says too.</summary>
    public const long MaxBytes = 1024 * 1024;

    /// <summary>
    /// The commit <paramref name="reference"/> names (sha, branch or tag) and its loaded pipeline, an invalid one saying the
    /// file is too large, or null when there is no file.
    /// </summary>
    public static (string Commit, PipelineLoadResult? Loaded) Load(GitRepositoryMirror mirror, string reference, string path, PipelineLimits limits)
    {
        var (commit, text, size) = mirror.ReadFileAt(reference, path, MaxBytes);
        if (text is not null) return (commit, PipelineLoader.Load(text, limits));
        if (size == 0) return (commit, null);
        return (commit, new PipelineLoadResult(null, [new Diagnostic(SourceLocation.Start,
            $"{path}: the file holds {new ByteSize(size)} ({size} bytes); a pipeline file holds at most 1 MiB")]));
    }
}
