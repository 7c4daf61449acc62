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

    /// <summary>The stored plan of run <paramref name="runId"/>, its id put in where it was stored with a placeholder (<see cref="PlanTemplate"/>).</summary>
    public static ExecutionPlan DeserializeStored(string json, long runId) => Deserialize(PlanTemplate.Read(json, RunStore.RunKey(runId)));
}
