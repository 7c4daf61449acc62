using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeliner.Core.Reporting;

/// <summary>Serialises reports as indented camelCase JSON, the same way everywhere (CLI, tests, API).</summary>
public static class ReportJson
{
    // Relaxed escaping keeps quotes and non-ASCII readable ("'" instead of "\u0027"); output is never embedded in HTML.
    private static readonly JsonSerializerOptions Options = new()
    {
        TypeInfoResolver = ReportJsonContext.Default,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
    };

    public static string Serialize(PlanReport report) => JsonSerializer.Serialize(report, Options);

    public static string Serialize(ValidationReport report) => JsonSerializer.Serialize(report, Options);

    public static PlanReport? DeserializePlan(string json) => JsonSerializer.Deserialize<PlanReport>(json, Options);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(PlanReport))]
[JsonSerializable(typeof(ValidationReport))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;
