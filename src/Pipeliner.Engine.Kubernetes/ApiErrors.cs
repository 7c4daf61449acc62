using System.Net;
using System.Text.Json;
using k8s.Autorest;

namespace Pipeliner.Engine.Kubernetes;

/// <summary>What the API server said when it refused a request: the message of its Status body.</summary>
internal static class ApiErrors
{
    /// <summary>A refusal of what the job asks for (an invalid spec, a quota exceeded), not a fault of the cluster.</summary>
    public static bool IsRefusal(HttpOperationException e) =>
        e.Response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity ||
        (e.Response.StatusCode == HttpStatusCode.Forbidden && Describe(e).Contains("exceeded quota", StringComparison.Ordinal));

    public static string Describe(HttpOperationException e)
    {
        try
        {
            using var status = JsonDocument.Parse(e.Response.Content ?? "");
            if (status.RootElement.TryGetProperty("message", out var message) && message.GetString() is { Length: > 0 } text) return text;
        }
        catch (JsonException)
        {
            // Not a Status object: the status code is all there is.
        }

        return $"HTTP {(int)e.Response.StatusCode}";
    }
}
