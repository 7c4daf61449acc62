using System.Collections.Concurrent;
using Pipeliner.Engine.Storage;

namespace Pipeliner.Server.Webhooks;

/// <summary>
/// Says loudly, and once in a while rather than for every delivery, that a project's webhook secret cannot be decrypted:
/// the Data Protection keys it was encrypted with are gone. Webhooks of that project are refused until it is fixed.
/// </summary>
public sealed class WebhookKeyAlarm(DataLayout layout, TimeProvider time, ILogger<WebhookKeyAlarm> logger)
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMinutes(5);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastRaised = new(StringComparer.Ordinal);

    /// <summary>What the delivery log says; the server log says the same with where the keys are.</summary>
    public static string Message(string project) =>
        $"the webhook secret cannot be decrypted: the server's Data Protection keys are not the ones it was encrypted with (lost or replaced). " +
        $"Restore the keys/ directory from the backup taken with pipeliner.db, or set the secret again (PATCH /api/projects/{project} with \"webhookSecret\", and the same in the forge)";

    public void Raise(string project, Exception cause)
    {
        var now = time.GetUtcNow();
        if (_lastRaised.TryGetValue(project, out var last) && now - last < Quiet) return;
        _lastRaised[project] = now;
        logger.LogError("Webhooks of project {Project} are refused (401): {Message}. Keys directory: {Keys}. Cause: {Cause}",
            project, Message(project), Path.Combine(layout.Root, "keys"), cause.Message);
    }
}
