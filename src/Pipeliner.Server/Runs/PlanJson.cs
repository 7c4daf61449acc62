using System.Text.Json;
using System.Text.Json.Serialization;
using Pipeliner.Core.Planning;

namespace Pipeliner.Server.Runs;

/// <summary>Stores a run's execution plan as JSON, so that it runs as planned even after the pipeline file changes.</summary>
public static class PlanJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static string Serialize(ExecutionPlan plan) => JsonSerializer.Serialize(plan, Options);

    public static ExecutionPlan Deserialize(string json) =>
        JsonSerializer.Deserialize<ExecutionPlan>(json, Options) ?? throw new JsonException("empty plan");
}
