namespace Pipeliner.Forges.Refs;

/// <summary>Git ref names and commit hashes as forges write them.</summary>
public static class GitRefs
{
    public const string BranchPrefix = "refs/heads/";
    public const string TagPrefix = "refs/tags/";

    public static string Branch(string name) => BranchPrefix + name;

    public static string Tag(string name) => TagPrefix + name;

    /// <summary>7 (abbreviated) to 64 (SHA-256 repositories) hex digits.</summary>
    public static bool IsCommitSha(string value) =>
        value.Length is >= 7 and <= 64 && value.AsSpan().IndexOfAnyExcept("0123456789abcdefABCDEF") < 0;

    /// <summary>The rules of <c>git check-ref-format</c>, so that a payload cannot smuggle a path or an option in a ref.</summary>
    public static bool IsValidRefName(string name)
    {
        if (name.Length == 0 || name == "@" || name[0] == '/' || name[^1] is '/' or '.') return false;
        if (name.Contains("..", StringComparison.Ordinal) || name.Contains("//", StringComparison.Ordinal)
            || name.Contains("@{", StringComparison.Ordinal)) return false;
        foreach (var c in name)
        {
            if (char.IsControl(c) || c is ' ' or '~' or '^' or ':' or '?' or '*' or '[' or '\\') return false;
        }

        foreach (var component in name.Split('/'))
        {
            if (component.StartsWith('.') || component.EndsWith(".lock", StringComparison.Ordinal)) return false;
        }

        return true;
    }

    /// <summary>All zeros: how forges write "no commit" for the old head of a new ref or the new head of a deleted one.</summary>
    public static bool IsZeroSha(string? value) =>
        !string.IsNullOrEmpty(value) && value.AsSpan().IndexOfAnyExcept('0') < 0;
}
