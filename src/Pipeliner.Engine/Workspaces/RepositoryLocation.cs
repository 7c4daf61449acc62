using System.Text.RegularExpressions;

namespace Pipeliner.Engine.Workspaces;

/// <summary>What kind of place a repository's location names, and how to show it without a password in it.</summary>
public static partial class RepositoryLocation
{
    // user@host:path, git's scp-like syntax for SSH (a colon before any slash, no "://").
    [GeneratedRegex(@"^(?:[^@/\s]+@)?[A-Za-z0-9][A-Za-z0-9.\-]*:\S+$", RegexOptions.CultureInvariant)]
    private static partial Regex ScpLike();

    [GeneratedRegex(@"://([^/@\s:]*):[^/@\s]*@", RegexOptions.CultureInvariant)]
    private static partial Regex UrlPassword();

    /// <summary>True for ssh://, git+ssh:// and scp-like user@host:path locations.</summary>
    public static bool IsSsh(string location) =>
        location.StartsWith("ssh://", StringComparison.OrdinalIgnoreCase)
        || location.StartsWith("git+ssh://", StringComparison.OrdinalIgnoreCase)
        || location.StartsWith("ssh+git://", StringComparison.OrdinalIgnoreCase)
        || IsScpLike(location);

    /// <summary>True for git's scp-like SSH syntax, e.g. git@github.com:org/repo.git.</summary>
    public static bool IsScpLike(string location) =>
        !location.Contains("://", StringComparison.Ordinal) && !Path.IsPathRooted(location) && ScpLike().IsMatch(location);

    /// <summary>True for http:// and https:// URLs, where a user name and password are sent.</summary>
    public static bool IsHttp(string location) =>
        location.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The text with every password written into a URL (scheme://user:password@host) replaced by ***.</summary>
    public static string Redact(string text) => UrlPassword().Replace(text, "://$1:***@");
}
