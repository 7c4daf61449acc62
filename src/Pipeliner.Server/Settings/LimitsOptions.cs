using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Pipeliner.Core.Model;

namespace Pipeliner.Server.Settings;

/// <summary>
/// Section <c>Pipeliner:Limits</c>: what one job or run may consume. A job gets the default of each limit unless its
/// pipeline sets <c>resources</c> (up to the Max… ceiling: more is a validation error at the key). Sizes are written
/// like the pipeline's (<c>512Mi</c>, <c>4Gi</c>); an empty size means unlimited.
/// </summary>
public sealed class LimitsOptions
{
    [Description("Processes and threads a job's container may run at once (Docker's pids limit), unless its pipeline sets resources.pids: a fork bomb stops there.")]
    [Range(8, 4_194_304, ErrorMessage = "must be between 8 and 4194304")]
    public int Pids { get; set; } = 1024;

    [Description("The most a pipeline may set as resources.pids.")]
    [Range(8, 4_194_304, ErrorMessage = "must be between 8 and 4194304")]
    public int MaxPids { get; set; } = 32768;

    [Description("Memory of a job's container unless its pipeline sets resources.memory; empty: unlimited.")]
    public string? Memory { get; set; } = "4Gi";

    [Description("The most a pipeline may set as resources.memory; empty: no ceiling.")]
    public string? MaxMemory { get; set; }

    [Description("Bytes of a job's output stored in its log unless its pipeline sets resources.log; beyond it the job goes on and its log says where it was cut.")]
    public string? Log { get; set; } = "100Mi";

    [Description("The most a pipeline may set as resources.log; empty: no ceiling.")]
    public string? MaxLog { get; set; } = "1Gi";

    [Description("Bytes a job's workspace may hold unless its pipeline sets resources.workspace; measured every few seconds while the job runs, and a job whose workspace holds more is stopped and fails, its log saying why. Empty: unlimited.")]
    public string? Workspace { get; set; } = "10Gi";

    [Description("The most a pipeline may set as resources.workspace; empty: no ceiling.")]
    public string? MaxWorkspace { get; set; }

    [Description("Bytes of artifacts (their archives together) a job may save unless its pipeline sets resources.artifacts; a job whose artifacts hold more fails, its log saying so, and none of them is stored. Empty: unlimited.")]
    public string? Artifacts { get; set; } = "1Gi";

    [Description("The most a pipeline may set as resources.artifacts; empty: no ceiling.")]
    public string? MaxArtifacts { get; set; }

    [Description("Jobs one run may have, matrices expanded; a pipeline with more is invalid, the error at the job that crosses it.")]
    [Range(1, 100_000, ErrorMessage = "must be between 1 and 100000")]
    public int JobsPerRun { get; set; } = 1000;

    [Description("Bytes of a run's stored plan (its jobs with their scripts and variables); a pipeline whose plan is larger is refused as invalid.")]
    [Range(64 * 1024, 256L * 1024 * 1024, ErrorMessage = "must be between 65536 and 268435456")]
    public long PlanBytes { get; set; } = 8L * 1024 * 1024;

    /// <summary>What the pipeline compiler gets: the defaults and ceilings as typed values (the sizes are validated at start).</summary>
    public PipelineLimits ToPipelineLimits() => new(
        new ResourceLimits(null, Size(Memory), Pids, Size(Log), Size(Workspace), Size(Artifacts)),
        new ResourceLimits(null, Size(MaxMemory), MaxPids, Size(MaxLog), Size(MaxWorkspace), Size(MaxArtifacts)),
        JobsPerRun);

    /// <summary>Each size setting that cannot be read, as "Key: why".</summary>
    public IEnumerable<string> SizeProblems()
    {
        foreach (var (key, value) in new[]
                 {
                     (nameof(Memory), Memory), (nameof(MaxMemory), MaxMemory), (nameof(Log), Log), (nameof(MaxLog), MaxLog),
                     (nameof(Workspace), Workspace), (nameof(MaxWorkspace), MaxWorkspace), (nameof(Artifacts), Artifacts),
                     (nameof(MaxArtifacts), MaxArtifacts),
                 })
        {
            if (string.IsNullOrWhiteSpace(value)) continue;
            if (!ByteSize.TryParse(value, out var size, out var error)) yield return $"{key}: {error}";
            else if (size.Bytes < 1L << 20) yield return $"{key}: at least 1Mi, or empty for unlimited";
        }

        if (Pids > MaxPids) yield return $"{nameof(Pids)}: must not be above MaxPids ({MaxPids})";
    }

    private static ByteSize? Size(string? text) =>
        !string.IsNullOrWhiteSpace(text) && ByteSize.TryParse(text, out var size, out _) ? size : null;
}
