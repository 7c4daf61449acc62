using System.Security.Cryptography;
using System.Text;

namespace Pipeliner.Engine.Storage;

/// <summary>
/// A file-system-safe name for a job id, project or cache key: unsafe characters become '_' and, when
/// anything changed, a short hash keeps distinct ids distinct ("test (a, 1)" → "test__a__1_-5d41402a").
/// </summary>
public static class PathSlug
{
    public static string For(string text)
    {
        var safe = new StringBuilder(text.Length);
        foreach (var c in text) safe.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_');
        var slug = safe.ToString().TrimStart('.');
        if (slug == text && slug.Length is > 0 and <= 80) return slug;
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..8];
        return $"{(slug.Length > 80 ? slug[..80] : slug)}-{hash}";
    }
}
