using System.Text.Json;
using Docker.DotNet;

namespace Pipeliner.Engine.Backends.Docker;

/// <summary>Turns the engine's error responses into one readable line for a job's log.</summary>
internal static class DockerErrors
{
    /// <summary>
    /// One line: where no engine answered (DOCKER_HOST or the default socket), why, and the two ways out — start an
    /// engine, or run jobs without containers with <paramref name="shellBackendSetting"/>.
    /// </summary>
    /// <param name="where">The engine's address and where it came from, e.g. "unix:///var/run/docker.sock (DOCKER_HOST)".</param>
    public static string Unreachable(string where, Exception error, string shellBackendSetting)
    {
        var socket = where.StartsWith("unix://", StringComparison.Ordinal) ? where["unix://".Length..].Split(' ')[0] : null;
        var reason = socket is not null && !File.Exists(socket) ? "the socket does not exist" : Root(error).Message;
        return $"no Docker engine answers at {where}: {reason}; start one (e.g. 'sudo systemctl start docker', "
               + "or 'sudo bash deploy/dev/docker-engine.sh start' and export the DOCKER_HOST it prints), "
               + $"or run jobs without containers, unisolated, with {shellBackendSetting}";
    }

    private static Exception Root(Exception e) => e.InnerException is { } inner ? Root(inner) : e;

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
