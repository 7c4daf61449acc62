namespace Pipeliner.Server.Webhooks;

/// <summary>What became of a webhook delivery, as <c>GET /api/projects/{project}/deliveries</c> shows it.</summary>
public static class DeliveryOutcomes
{
    /// <summary>Accepted and not processed yet (the first attempt is queued or running).</summary>
    public const string Received = "received";

    /// <summary>An attempt failed; the next is due at <c>NextAttemptAt</c>.</summary>
    public const string Retrying = "retrying";

    /// <summary>A run was created (an invalid pipeline's run too, which carries its errors).</summary>
    public const string Run = "run";

    /// <summary>No run: the pipeline's <c>on</c> excludes the event, or the commit has no pipeline file.</summary>
    public const string NotTriggered = "not_triggered";

    /// <summary>An event that never runs: a ping, a deleted ref, a closed pull request, an event type not handled.</summary>
    public const string Ignored = "ignored";

    /// <summary>Refused: the signature or token does not match the project's secret. Its payload is not kept.</summary>
    public const string InvalidSignature = "invalid_signature";

    /// <summary>No run because of an error: a malformed payload, a repository that cannot be read after every retry.</summary>
    public const string Failed = "failed";

    /// <summary>Still to be processed: a worker may claim it.</summary>
    public static readonly string[] Pending = [Received, Retrying];

    public static bool IsPending(string outcome) => outcome is Received or Retrying;
}
