using System.Text;

namespace Pipeliner.Server.Logs.Search.Sqlite;

/// <summary>
/// An FTS5 query for a literal text on a trigram index without positions (<c>detail=none</c>): every distinct
/// three-character piece of it, each a quoted string, joined by AND. It finds a superset of the pieces holding the
/// text, which the search then checks against the log.
/// </summary>
public static class TrigramQuery
{
    /// <summary>Enough pieces to be selective; more only make the query slower.</summary>
    private const int MaxTrigrams = 24;

    /// <returns>null when the text has no usable piece (shorter than three characters).</returns>
    public static string? Of(string text)
    {
        var trigrams = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i + 3 <= text.Length; i++)
        {
            var trigram = text.Substring(i, 3);
            // The tokenizer counts code points: a piece holding half or all of a surrogate pair is not one of its trigrams.
            if (trigram.Any(char.IsSurrogate)) continue;
            if (seen.Add(trigram)) trigrams.Add(trigram);
        }

        if (trigrams.Count == 0) return null;
        if (trigrams.Count > MaxTrigrams)
        {
            // Spread over the whole text, first and last included.
            var step = (trigrams.Count - 1) / (double)(MaxTrigrams - 1);
            trigrams = [.. Enumerable.Range(0, MaxTrigrams).Select(i => trigrams[(int)Math.Round(i * step)]).Distinct()];
        }

        var query = new StringBuilder();
        foreach (var trigram in trigrams)
        {
            if (query.Length > 0) query.Append(" AND ");
            query.Append('"').Append(trigram.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
        }

        return query.ToString();
    }
}
