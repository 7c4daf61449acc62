namespace Pipeliner.Forges;

/// <summary>What a webhook delivery amounts to: exactly one of <see cref="Event"/>, <see cref="Ignored"/>, <see cref="Invalid"/>.</summary>
public abstract record WebhookParseResult
{
    private WebhookParseResult()
    {
    }

    /// <summary>An event that may start a run.</summary>
    public sealed record Event(ForgeEvent ForgeEvent) : WebhookParseResult;

    /// <summary>A well-formed delivery of something that never starts a run (a closed pull request, a label, …).</summary>
    public sealed record Ignored(string Reason) : WebhookParseResult;

    /// <summary>A delivery that cannot be understood: malformed JSON, a missing header or field.</summary>
    public sealed record Invalid(string Message) : WebhookParseResult;
}
