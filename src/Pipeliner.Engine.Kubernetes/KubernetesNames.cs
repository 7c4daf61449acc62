using System.Security.Cryptography;
using System.Text;

namespace Pipeliner.Engine.Kubernetes;

/// <summary>
/// Turns Pipeliner's names (job ids like <c>test (alpine, 3.11)</c>, run ids, agent names) into what Kubernetes
/// accepts: DNS labels for Pod and container names, label values for selectors. Shortened names keep a hash of
/// the whole, so two long names never collide; exact values go in annotations.
/// </summary>
internal static class KubernetesNames
{
    private const int MaxLength = 63;

    /// <summary>Lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters.</summary>
    public static string DnsLabel(string text)
    {
        var slug = Slug(text.ToLowerInvariant(), allowed: c => c is >= 'a' and <= 'z' or >= '0' and <= '9', replacement: '-');
        return Fit(slug.Length == 0 ? "x" : slug, text);
    }

    /// <summary>A label value: letters, digits, '-', '_' and '.', starting and ending with a letter or digit, at most 63.</summary>
    public static string LabelValue(string text)
    {
        var slug = Slug(text, allowed: c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.', replacement: '-');
        return slug.Length == 0 ? "" : Fit(slug, text);
    }

    private static string Slug(string text, Func<char, bool> allowed, char replacement)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (allowed(c) && c != '-') builder.Append(c);
            else if (builder.Length > 0 && builder[^1] != replacement) builder.Append(replacement);
        }

        while (builder.Length > 0 && !char.IsAsciiLetterOrDigit(builder[^1])) builder.Length--;
        while (builder.Length > 0 && !char.IsAsciiLetterOrDigit(builder[0])) builder.Remove(0, 1);
        return builder.ToString();
    }

    private static string Fit(string slug, string original)
    {
        if (slug.Length <= MaxLength) return slug;
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(original)))[..8];
        return slug[..(MaxLength - hash.Length - 1)].TrimEnd('-', '_', '.') + "-" + hash;
    }
}
