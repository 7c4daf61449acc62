using System.Text.Json;

namespace Pipeliner.Engine.Reports;

/// <summary>
/// Reads SARIF 2.1 (what CodeQL, Semgrep, ESLint, Roslyn analyzers, ruff and most linters write): every result of every
/// run, with its level (the result's own, else its rule's default, else warning), rule, message and first location.
/// Within limits: a bounded size and depth, messages cut, the findings kept bounded (all are counted).
/// </summary>
public static class SarifReader
{
    public static FindingSet Read(Stream json, ReportLimits limits)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions
            {
                MaxDepth = limits.MaxDepth, CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true,
            });
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $"line {line + 1}, column {(e.BytePositionInLine ?? 0) + 1}: " : "";
            var reason = e.Message.Contains("depth", StringComparison.OrdinalIgnoreCase)
                ? $"values nested deeper than {limits.MaxDepth} levels"
                : "not valid JSON";
            throw new ReportFormatException(where + reason);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("runs", out var runs) || runs.ValueKind != JsonValueKind.Array)
                throw new ReportFormatException("not SARIF: the document has no 'runs' list");
            var counts = FindingCounts.Zero;
            var findings = new List<Finding>();
            foreach (var run in runs.EnumerateArray())
            {
                if (run.ValueKind != JsonValueKind.Object) continue;
                var driver = Get(Get(run, "tool"), "driver");
                var tool = ReportLimits.Bounded(String(driver, "name") ?? "unknown tool", 100);
                var rules = Get(driver, "rules") is { ValueKind: JsonValueKind.Array } list ? list.EnumerateArray().ToList() : [];
                if (Get(run, "results") is not { ValueKind: JsonValueKind.Array } results) continue;
                foreach (var result in results.EnumerateArray())
                {
                    if (result.ValueKind != JsonValueKind.Object) continue;
                    // Only failures are findings: 'pass', 'review' and the like say what was checked.
                    if (String(result, "kind") is { } kind && kind != "fail") continue;
                    var rule = RuleOf(result, rules);
                    var severity = Severity(String(result, "level") ?? String(Get(rule, "defaultConfiguration"), "level"));
                    counts = counts.Add(severity);
                    if (findings.Count >= limits.MaxFindings) continue;
                    findings.Add(ToFinding(result, rule, severity, tool, limits));
                }
            }

            return new FindingSet(counts, findings);
        }
    }

    private static Finding ToFinding(JsonElement result, JsonElement? rule, string severity, string tool, ReportLimits limits)
    {
        var ruleId = String(result, "ruleId") ?? String(Get(result, "rule"), "id") ?? String(rule, "id") ?? "";
        var message = String(Get(result, "message"), "text") ?? String(Get(result, "message"), "markdown")
                      ?? String(Get(rule, "shortDescription"), "text") ?? "";
        var physical = Get(Get(result, "locations") is { ValueKind: JsonValueKind.Array } locations && locations.GetArrayLength() > 0 ? locations[0] : null,
            "physicalLocation");
        var uri = String(Get(physical, "artifactLocation"), "uri");
        var region = Get(physical, "region");
        return new Finding(severity, ReportLimits.Bounded(ruleId, 200), ReportLimits.Bounded(message, limits.MaxMessageChars),
            uri is null ? null : ReportLimits.Bounded(RelativePath(uri), 500), Int(region, "startLine"), Int(region, "startColumn"), tool);
    }

    private static JsonElement? RuleOf(JsonElement result, List<JsonElement> rules)
    {
        var index = Int(result, "ruleIndex") ?? Int(Get(result, "rule"), "index");
        if (index is { } i && i >= 0 && i < rules.Count) return rules[i];
        var id = String(result, "ruleId");
        return id is null ? null : rules.FirstOrDefault(r => String(r, "id") == id) is { ValueKind: JsonValueKind.Object } found ? found : null;
    }

    private static string Severity(string? level) => level switch
    {
        "error" => FindingSeverities.Error,
        "note" or "none" => FindingSeverities.Note,
        _ => FindingSeverities.Warning,
    };

    private static string RelativePath(string uri)
    {
        var path = uri.StartsWith("file://", StringComparison.OrdinalIgnoreCase) ? uri["file://".Length..] : uri;
        path = Uri.UnescapeDataString(path);
        while (path.StartsWith("./", StringComparison.Ordinal)) path = path[2..];
        return path;
    }

    private static JsonElement? Get(JsonElement? element, string name) =>
        element is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var value) ? value : null;

    private static string? String(JsonElement? element, string name) =>
        Get(element, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    private static int? Int(JsonElement? element, string name) =>
        Get(element, name) is { ValueKind: JsonValueKind.Number } value && value.TryGetInt32(out var number) ? number : null;
}
