using Pipeliner.Core.Model;

namespace Pipeliner.Core.Tests.Model;

public class GlobPatternTests
{
    [Theory]
    // '*' and '?' stay within one path segment.
    [InlineData("*", "main", true)]
    // Many stars against a long near-miss: a backtracking matcher would take seconds to minutes here.
    [InlineData("*a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false)]
    [InlineData("*a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", true)]
    [InlineData("**/**/**/**/**/x", "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/y", false)]
    [InlineData("{src,lib}/**/*.{cs,ts}", "lib/a/b.ts", true)]
    [InlineData("{src,lib}/**/*.{cs,ts}", "docs/a/b.ts", false)]
    [InlineData("*", "feature/login", false)]
    [InlineData("release/*", "release/1.2", true)]
    [InlineData("release/*", "release/1.2/hotfix", false)]
    [InlineData("release/*", "release", false)]
    [InlineData("v*", "v1.2.3", true)]
    [InlineData("v*", "1.2.3", false)]
    [InlineData("src/*.cs", "src/App.cs", true)]
    [InlineData("src/*.cs", "src/sub/App.cs", false)]
    [InlineData("v?", "v1", true)]
    [InlineData("v?", "v12", false)]
    [InlineData("a?b", "a/b", false)]
    // '**' crosses segments, including none at all.
    [InlineData("**", "a/b/c", true)]
    [InlineData("**", "file", true)]
    [InlineData("feature/**", "feature/a/b", true)]
    [InlineData("feature/**", "feature", true)]
    [InlineData("feature/**", "features/a", false)]
    [InlineData("src/**/*.cs", "src/App.cs", true)]
    [InlineData("src/**/*.cs", "src/a/b/App.cs", true)]
    [InlineData("src/**/*.cs", "test/App.cs", false)]
    [InlineData("**/test", "test", true)]
    [InlineData("**/test", "a/b/test", true)]
    [InlineData("**/test", "a/b/test/x", false)]
    [InlineData("a/**/b", "a/b", true)]
    [InlineData("a/**/b", "a/x/y/b", true)]
    [InlineData("a/**/b", "a/x/y/c", false)]
    // A trailing '/' matches everything below the directory.
    [InlineData("docs/", "docs/guide/intro.md", true)]
    [InlineData("docs/", "docs/readme.md", true)]
    [InlineData("docs/", "docsite/readme.md", false)]
    [InlineData("services/api/", "services/api/src/Program.cs", true)]
    [InlineData("services/api/", "services/web/src/index.ts", false)]
    // Character classes, alternatives and escapes.
    [InlineData("v[0-9]*", "v1.0", true)]
    [InlineData("v[0-9]*", "vx", false)]
    [InlineData("[!v]*", "main", true)]
    [InlineData("[!v]*", "v1", false)]
    [InlineData("[^v]*", "v1", false)]
    [InlineData("[]]", "]", true)]
    [InlineData("[\\]]", "]", true)]
    [InlineData("[\\]]", "\\", false)]
    [InlineData("[\\d]", "d", true)]
    [InlineData("[\\d]", "1", false)]
    [InlineData("{main,develop}", "develop", true)]
    [InlineData("{main,develop}", "feature", false)]
    [InlineData("src/{a,b}/*.cs", "src/b/x.cs", true)]
    [InlineData("a,b", "a,b", true)]
    [InlineData("\\*", "*", true)]
    [InlineData("\\*", "x", false)]
    [InlineData("a.b", "axb", false)]
    [InlineData("a+(b)", "a+(b)", true)]
    // Matching is exact and case-sensitive.
    [InlineData("main", "main", true)]
    [InlineData("main", "Main", false)]
    [InlineData("main", "main2", false)]
    [InlineData("main", "xmain", false)]
    public void IsMatch_FollowsGlobRules_ForPatternAndValue(string pattern, string value, bool expected)
    {
        var glob = GlobPattern.TryParse(pattern, out var error);

        Assert.Null(error);
        Assert.NotNull(glob);
        Assert.Equal(expected, glob.IsMatch(value));
    }

    [Theory]
    [InlineData("a\\", "it ends with an escape")]
    [InlineData("[abc", "'[' is never closed")]
    [InlineData("[]", "'[' is never closed")]
    [InlineData("{a,b", "'{' is never closed")]
    [InlineData("a}", "'}' without '{'")]
    [InlineData("{a,{b,c}}", "nested '{' is not supported")]
    [InlineData("{a,b/c}", "alternatives in '{...}' cannot contain '/'")]
    [InlineData("src/a**", "'**' must be a whole path segment")]
    [InlineData("**.cs", "'**' must be a whole path segment")]
    [InlineData("a[/]b", "it cannot be escaped or written inside '[...]'")]
    [InlineData("a[!x/y]", "it cannot be escaped or written inside '[...]'")]
    [InlineData("a\\/b", "it cannot be escaped or written inside '[...]'")]
    [InlineData("[z-a]", "a range in '[...]' runs backwards")]
    public void TryParse_ReturnsNullWithReason_WhenPatternIsInvalid(string pattern, string reason)
    {
        var glob = GlobPattern.TryParse(pattern, out var error);

        Assert.Null(glob);
        Assert.NotNull(error);
        Assert.StartsWith($"invalid glob '{pattern}': ", error, StringComparison.Ordinal);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_ReturnsNullWithReason_WhenPatternIsEmpty()
    {
        var glob = GlobPattern.TryParse("", out var error);

        Assert.Null(glob);
        Assert.Equal("a glob must not be empty", error);
    }

    [Fact]
    public void ToString_ReturnsThePatternAsWritten_WhenParsed()
    {
        var glob = GlobPattern.TryParse("release/*", out _);

        Assert.Equal("release/*", glob?.ToString());
        Assert.Equal("release/*", glob?.Pattern);
    }
}
