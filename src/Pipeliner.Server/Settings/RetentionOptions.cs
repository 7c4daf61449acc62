using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Pipeliner.Core.Model;

namespace Pipeliner.Server.Settings;

/// <summary>
/// Section <c>Pipeliner:Retention</c>: the server-wide default of how long runs' logs and artifacts and projects' caches
/// are kept (a project's own policy, <c>PUT /api/projects/{project}/retention</c>, replaces it), and when the nightly
/// pass runs. An empty limit means none. Pinned runs, runs with a deployment still current in an environment and the
/// latest finished run of a project's default branch are never removed.
/// </summary>
public sealed class RetentionOptions
{
    [Description("When the retention pass runs (a cron expression, UTC); it runs once per cluster.")]
    public string Schedule { get; set; } = "0 3 * * *";

    [Description("How long the logs of finished runs are kept (default: no limit).")]
    public RetentionLimitOptions Logs { get; set; } = new();

    [Description("How long the artifacts of finished runs are kept (default: 30 days, as GitLab's default expire_in).")]
    public RetentionLimitOptions Artifacts { get; set; } = new() { MaxAgeDays = 30 };

    [Description("How long caches are kept (default: 7 days since saved and 10Gi per project, as GitHub Actions).")]
    public RetentionLimitOptions Caches { get; set; } = new() { MaxAgeDays = 7, MaxSize = "10Gi" };

    /// <summary>Each size that cannot be read, as "Kind:MaxSize: why".</summary>
    public IEnumerable<string> SizeProblems()
    {
        foreach (var (kind, limits) in new[] { (nameof(Logs), Logs), (nameof(Artifacts), Artifacts), (nameof(Caches), Caches) })
        {
            if (string.IsNullOrWhiteSpace(limits.MaxSize)) continue;
            if (!ByteSize.TryParse(limits.MaxSize, out var size, out var error)) yield return $"{kind}:MaxSize: {error}";
            else if (size.Bytes < 1L << 20) yield return $"{kind}:MaxSize: at least 1Mi, or empty for no limit";
        }
    }
}

/// <summary>The limits of one kind of stored data (logs, artifacts or caches); each empty one is no limit.</summary>
public sealed class RetentionLimitOptions
{
    [Description("Keep the newest N runs of each branch (tag, pull request); for caches, the newest N cache keys of each scope. Empty: no limit.")]
    [Range(1, 1_000_000, ErrorMessage = "must be between 1 and 1000000, or empty for no limit")]
    public int? KeepLastPerBranch { get; set; }

    [Description("Remove what is older than this many days (runs: since they finished; caches: since saved). Empty: no limit.")]
    [Range(1, 36_500, ErrorMessage = "must be between 1 and 36500, or empty for no limit")]
    public int? MaxAgeDays { get; set; }

    [Description("Bytes a project may keep (e.g. 20Gi); beyond it the oldest go first. Empty: no limit.")]
    public string? MaxSize { get; set; }
}
