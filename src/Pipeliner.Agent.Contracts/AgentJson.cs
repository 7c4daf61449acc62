using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeliner.Agent.Contracts;

/// <summary>The JSON both sides use: web defaults, enums as snake_case names (as the stored plan has them).</summary>
public static class AgentJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };
}
