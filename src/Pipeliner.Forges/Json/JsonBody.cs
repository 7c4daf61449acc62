using System.Text.Json;

namespace Pipeliner.Forges.Json;

/// <summary>Parses a raw request body into a JSON document without throwing.</summary>
internal static class JsonBody
{
    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <returns>The document (the caller disposes it), or null with the reason in <paramref name="error"/>.</returns>
    public static JsonDocument? TryParse(ReadOnlySpan<byte> body, out string error)
    {
        if (body.StartsWith(Utf8Bom)) body = body[Utf8Bom.Length..];
        if (body.IsEmpty)
        {
            error = "empty body";
            return null;
        }

        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
        JsonDocument? document = null;
        try
        {
            document = JsonDocument.ParseValue(ref reader);
            // ParseValue stops after the first value; anything but whitespace after it is not one JSON document.
            if (reader.Read())
            {
                document.Dispose();
                error = $"malformed JSON: unexpected data after the end of the document at byte {reader.TokenStartIndex}";
                return null;
            }

            error = "";
            return document;
        }
        catch (JsonException e)
        {
            document?.Dispose();
            error = $"malformed JSON: {e.Message}";
            return null;
        }
    }
}
