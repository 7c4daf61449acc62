using System.Text.Json;
using Docker.DotNet;

namespace Pipeliner.Engine.Backends.Docker;

/// <summary>Turns the engine's error responses into one readable line for a job's log.</summary>
internal static class DockerErrors
{
    /// <summary>Where the runtime's own words start in "failed to create shim task: OCI runtime create failed: ...".</summary>
    private const string RuntimeCause = "unable to start container process: ";

    public static string Describe(DockerApiException e)
    {
        var message = MessageOf(e.ResponseBody) ?? e.Message;
        var cause = message.LastIndexOf(RuntimeCause, StringComparison.Ordinal);
        if (cause >= 0) message = message[(cause + RuntimeCause.Length)..];
        if (message.EndsWith(": unknown", StringComparison.Ordinal)) message = message[..^": unknown".Length];
        return message.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? message;
    }

    /// <summary>The engine answers errors as <c>{"message": "..."}</c>.</summary>
    private static string? MessageOf(string? body)
    {
        if (string.IsNullOrWhiteSpace(body) || !body.TrimStart().StartsWith('{')) return body;
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("message", out var message) ? message.GetString() : body;
        }
        catch (JsonException)
        {
            return body;
        }
    }
}
