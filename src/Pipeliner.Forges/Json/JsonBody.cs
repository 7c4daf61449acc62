using System.Text.Json;

namespace Pipeliner.Forges.Json;

/// <summary>Parses a raw request body into a JSON document without throwing.</summary>
internal static class JsonBody
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <returns>The document (the caller disposes it), or null with the reason in <paramref name="error"/>.</returns>
    /// <remarks>The document refers to <paramref name="body"/>'s bytes, not to a copy: the caller leaves them unchanged while it lives.</remarks>
    public static JsonDocument? TryParse(ReadOnlyMemory<byte> body, out string error)
    {
        if (body.Span.StartsWith(Utf8Bom)) body = body[Utf8Bom.Length..];
        if (body.IsEmpty)
        {
            error = "empty body";
            return null;
        }

        try
        {
            // Parse (unlike ParseValue on a reader) also rejects anything after the first value, and is several times faster.
            var document = JsonDocument.Parse(body, Options);
            error = "";
            return document;
        }
        catch (JsonException e)
        {
            error = $"malformed JSON: {e.Message}";
            return null;
        }
    }
}
