using System.Text.Json;
using Pipeliner.Forges.Bitbucket;
using Pipeliner.Forges.Events;
using Pipeliner.Forges.Gitea;
using Pipeliner.Forges.GitHub;
using Pipeliner.Forges.GitLab;
using Pipeliner.Forges.Json;

namespace Pipeliner.Forges;

/// <summary>Turns a webhook delivery (headers and raw body) into a <see cref="ForgeEvent"/>.</summary>
public static class WebhookParser
{
    /// <summary>
    /// Never throws because of the headers or the body: every delivery is an <see cref="WebhookParseResult.Event"/>,
    /// an <see cref="WebhookParseResult.Ignored"/> or an <see cref="WebhookParseResult.Invalid"/>.
    /// Does not check the signature; see <see cref="WebhookSignature"/>.
    /// </summary>
    /// <param name="header">Looks up a request header by name (case-insensitively, as HTTP does); null when absent.</param>
    /// <param name="body">The raw request body (UTF-8 JSON).</param>
    public static WebhookParseResult Parse(Forge forge, Func<string, string?> header, ReadOnlySpan<byte> body) =>
        Parse(forge, header, body.ToArray());

    /// <summary>
    /// <see cref="Parse(Forge, Func{string, string?}, ReadOnlySpan{byte})"/> on a body the caller leaves unchanged until
    /// this returns: parsed where it is, without a copy (the server's intake, a copy less per accepted webhook).
    /// </summary>
    public static WebhookParseResult Parse(Forge forge, Func<string, string?> header, byte[] body) =>
        Parse(forge, header, body.AsMemory());

    /// <summary>
    /// <see cref="Parse(Forge, Func{string, string?}, byte[])"/> on a part of a buffer (the server's intake reads bodies into
    /// pooled buffers): nothing returned refers to it, so the caller may reuse it once this returns.
    /// </summary>
    public static WebhookParseResult Parse(Forge forge, Func<string, string?> header, ReadOnlyMemory<byte> body)
    {
        ArgumentNullException.ThrowIfNull(header);
        if (ParserFor(forge) is not { } parser) return new WebhookParseResult.Invalid($"unknown forge {forge}");

        if (ForgeHeaders.First(header, parser.EventHeaders) is not { } eventName)
            return new WebhookParseResult.Invalid($"missing header '{parser.EventHeaders[0]}'");
        if (parser.WhyIgnored(eventName) is { } reason) return new WebhookParseResult.Ignored(reason);

        var context = $"{eventName} payload";
        using var document = JsonBody.TryParse(body, out var error);
        if (document is null) return new WebhookParseResult.Invalid($"{context}: {error}");
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            return new WebhookParseResult.Invalid($"{context}: expected a JSON object, got {Describe(document.RootElement.ValueKind)}");

        var deliveryId = ForgeHeaders.First(header, parser.DeliveryHeaders) ?? DeliveryIds.FromBody(body.Span);
        try
        {
            return parser.Parse(eventName, new JsonPayload(document.RootElement, context), deliveryId);
        }
        catch (InvalidPayloadException e)
        {
            return new WebhookParseResult.Invalid(e.Message);
        }
    }

    /// <summary>
    /// The event name and delivery id as the headers give them (null when absent), read without the body: what is
    /// recorded of a delivery refused before its body is trusted.
    /// </summary>
    public static (string? EventName, string? DeliveryId) ReadHeaders(Forge forge, Func<string, string?> header)
    {
        ArgumentNullException.ThrowIfNull(header);
        return ParserFor(forge) is { } parser
            ? (ForgeHeaders.First(header, parser.EventHeaders), ForgeHeaders.First(header, parser.DeliveryHeaders))
            : (null, null);
    }

    private static IForgeWebhookParser? ParserFor(Forge forge) => forge switch
    {
        Forge.GitHub => new GitHubWebhookParser(),
        Forge.GitLab => new GitLabWebhookParser(),
        Forge.Gitea => new GiteaWebhookParser(),
        Forge.Bitbucket => new BitbucketWebhookParser(),
        _ => null,
    };

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
