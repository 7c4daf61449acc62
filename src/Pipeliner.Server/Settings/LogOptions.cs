using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeliner.Server.Settings;

/// <summary>Section <c>Pipeliner:Logs</c>: how final logs are stored and searched.</summary>
public sealed class LogOptions
{
    [Description("Store logs compressed (zstd blocks) once their attempt has ended; every log endpoint answers the same bytes either way.")]
    public bool CompressFinished { get; set; } = true;

    [Description("How often the server looks for ended attempts whose logs are not indexed for search (and compressed) yet, e.g. after a restart or a rebuild of the index.")]
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00", ErrorMessage = "must be between 00:00:00.100 and 01:00:00")]
    public TimeSpan CatchUpInterval { get; set; } = TimeSpan.FromSeconds(30);

    [Description("How long a search across runs may take before it answers with what it found so far (truncated).")]
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00", ErrorMessage = "must be between 00:00:00.100 and 00:05:00")]
    public TimeSpan SearchTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
