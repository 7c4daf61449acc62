using System.Globalization;
using System.Text.Json;
using Pipeliner.Core.Model;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Retention;

/// <summary>The parts of stored data retention removes, each under limits of its own.</summary>
public enum RetentionPart
{
    Logs,
    Artifacts,
    Caches,
}

/// <summary>How much of one kind of data a project keeps; each null limit is none.</summary>
public sealed record RetentionLimits(int? KeepLastPerBranch, int? MaxAgeDays, ByteSize? MaxSize)
{
    public static readonly RetentionLimits None = new(null, null, null);

    public static RetentionLimits From(RetentionLimitOptions options) => new(options.KeepLastPerBranch, options.MaxAgeDays,
        !string.IsNullOrWhiteSpace(options.MaxSize) && ByteSize.TryParse(options.MaxSize, out var size, out _) ? size : null);

    public RetentionLimitsJson ToJson() => new(KeepLastPerBranch, MaxAgeDays, MaxSize?.ToString());

    /// <summary>The rule in words, as an expired part's message gives it: "the project keeps 30 days".</summary>
    public static string AgeRule(int days) =>
        string.Create(CultureInfo.InvariantCulture, $"the project keeps {days} {(days == 1 ? "day" : "days")}");

    public static string KeepRule(int runs, RetentionPart part) => part == RetentionPart.Caches
        ? string.Create(CultureInfo.InvariantCulture, $"the project keeps the newest {(runs == 1 ? "cache" : $"{runs} caches")} of each branch")
        : string.Create(CultureInfo.InvariantCulture, $"the project keeps the last {(runs == 1 ? "run" : $"{runs} runs")} of each branch");

    public static string SizeRule(ByteSize size, RetentionPart part) =>
        $"the project keeps at most {size} of {part.ToString().ToLowerInvariant()}";
}

/// <summary>What a project keeps of each kind: the effective policy retention applies.</summary>
public sealed record RetentionPolicy(RetentionLimits Logs, RetentionLimits Artifacts, RetentionLimits Caches)
{
    public static RetentionPolicy From(RetentionOptions options) =>
        new(RetentionLimits.From(options.Logs), RetentionLimits.From(options.Artifacts), RetentionLimits.From(options.Caches));

    public RetentionLimits For(RetentionPart part) => part switch
    {
        RetentionPart.Logs => Logs,
        RetentionPart.Artifacts => Artifacts,
        _ => Caches,
    };
}

/// <summary>One kind's limits as the API writes them (null: no limit); <c>maxSize</c> like the pipeline's sizes (<c>20Gi</c>).</summary>
public sealed record RetentionLimitsJson(int? KeepLastPerBranch, int? MaxAgeDays, string? MaxSize)
{
    public RetentionLimits ToLimits() => new(KeepLastPerBranch, MaxAgeDays,
        MaxSize is not null && ByteSize.TryParse(MaxSize, out var size, out _) ? size : null);
}

/// <summary>
/// A project's own policy, as <c>PUT /api/projects/{project}/retention</c> takes it and the project row stores it: the
/// top-level limits are the runs' logs' and artifacts'; <see cref="Artifacts"/>, when given, replaces them for artifacts;
/// <see cref="Caches"/>, when given, replaces the server's default for caches.
/// </summary>
public sealed record ProjectRetention(
    int? KeepLastPerBranch, int? MaxAgeDays, string? MaxSize, RetentionLimitsJson? Artifacts, RetentionLimitsJson? Caches)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public RetentionPolicy Resolve(RetentionPolicy server)
    {
        var runs = new RetentionLimitsJson(KeepLastPerBranch, MaxAgeDays, MaxSize).ToLimits();
        return new RetentionPolicy(runs, Artifacts?.ToLimits() ?? runs, Caches?.ToLimits() ?? server.Caches);
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static ProjectRetention? FromJson(string? json) => json is null ? null : JsonSerializer.Deserialize<ProjectRetention>(json, Json);

    /// <summary>The project's effective policy: its own, else the server's default.</summary>
    public static RetentionPolicy Effective(string? json, RetentionPolicy server) => FromJson(json)?.Resolve(server) ?? server;
}
