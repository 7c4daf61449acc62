using System.Globalization;
using System.Security;

namespace Pipeliner.Server.Badges;

/// <summary>A flat two-part badge in the shape shields.io draws: a grey label and a coloured message.</summary>
public static class BadgeSvg
{
    private const double Padding = 10;

    public static string Render(string label, string message, string colour)
    {
        var labelWidth = Math.Round(TextWidth(label) + Padding);
        var messageWidth = Math.Round(TextWidth(message) + Padding);
        var width = labelWidth + messageWidth;
        string N(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);
        var (l, m) = (SecurityElement.Escape(label), SecurityElement.Escape(message));
        return $"""
            <svg xmlns="http://www.w3.org/2000/svg" width="{N(width)}" height="20" role="img" aria-label="{l}: {m}"><title>{l}: {m}</title><linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient><clipPath id="r"><rect width="{N(width)}" height="20" rx="3" fill="#fff"/></clipPath><g clip-path="url(#r)"><rect width="{N(labelWidth)}" height="20" fill="#555"/><rect x="{N(labelWidth)}" width="{N(messageWidth)}" height="20" fill="{colour}"/><rect width="{N(width)}" height="20" fill="url(#s)"/></g><g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11"><text x="{N(labelWidth / 2)}" y="15" fill="#010101" fill-opacity=".3">{l}</text><text x="{N(labelWidth / 2)}" y="14">{l}</text><text x="{N(labelWidth + messageWidth / 2)}" y="15" fill="#010101" fill-opacity=".3">{m}</text><text x="{N(labelWidth + messageWidth / 2)}" y="14">{m}</text></g></svg>
            """;
    }

    // Approximate Verdana 11px advances: enough for the badge's few words to sit centred with even margins.
    private static double TextWidth(string text) => text.Sum(c => c switch
    {
        'i' or 'l' or 'j' or '.' or ',' or ':' or '|' or '\'' => 3.1,
        'f' or 't' or 'r' or ' ' or '-' or '(' or ')' or '/' => 4.6,
        'm' or 'w' or 'M' or 'W' => 10.7,
        >= 'A' and <= 'Z' => 7.5,
        _ => 6.8,
    });
}
