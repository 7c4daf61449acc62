using System.Text;
using Pipeliner.Core.Diagnostics;
using Pipeliner.Core.Syntax.Yaml;

namespace Pipeliner.Core.Tests.Syntax.Yaml;

public class YamlTreeLoaderTests
{
    [Fact]
    public void Load_GivesEveryNodeItsOneBasedLineAndColumn_WhenTextIsValid()
    {
        const string text = """
            name: shop
            stages:
              - build
              - test
            jobs: { a: [x, y] }
            """;

        var root = Assert.IsType<YamlMapping>(Load(text, out var diagnostics));

        Assert.Empty(diagnostics.ToSortedList());
        Assert.Equal(new SourceLocation(1, 1), root.Location);
        Assert.Equal(["name", "stages", "jobs"], root.Entries.Select(e => e.Key.Value));
        Assert.Equal(new SourceLocation(1, 7), root.Entries[0].Value.Location);
        var stages = Assert.IsType<YamlSequence>(root.Entries[1].Value);
        Assert.Equal(new SourceLocation(3, 3), stages.Location);
        Assert.Equal(new SourceLocation(4, 5), stages.Items[1].Location);
        var jobs = Assert.IsType<YamlMapping>(root.Entries[2].Value);
        Assert.Equal(new SourceLocation(5, 7), jobs.Location);
        Assert.Equal(new SourceLocation(5, 9), jobs.Entries[0].Key.Location);
        var items = Assert.IsType<YamlSequence>(jobs.Entries[0].Value);
        Assert.Equal(new SourceLocation(5, 16), items.Items[1].Location);
    }

    [Theory]
    [InlineData("a:", true)]
    [InlineData("a: ~", true)]
    [InlineData("a: null", true)]
    [InlineData("a: NULL", true)]
    [InlineData("a: \"\"", false)]
    [InlineData("a: 'null'", false)]
    [InlineData("a: nil", false)]
    [InlineData("a: 0", false)]
    public void Load_MarksOnlyPlainNullsAsNothing_WhenValueIsEmptyOrNullLike(string text, bool isNull)
    {
        var root = Assert.IsType<YamlMapping>(Load(text, out _));

        var value = Assert.IsType<YamlScalar>(root.Entries[0].Value);
        Assert.Equal(isNull, value.IsNull);
        Assert.Equal(isNull ? "nothing" : "a value", value.KindName);
    }

    [Fact]
    public void Load_ResolvesAnAliasToTheAnchoredNode_WhenAnchorIsDefinedBefore()
    {
        const string text = """
            base: &base { image: alpine, retry: 1 }
            copy: *base
            name: &n shop
            again: *n
            """;

        var root = Assert.IsType<YamlMapping>(Load(text, out var diagnostics));

        Assert.Empty(diagnostics.ToSortedList());
        Assert.Same(root.Entries[0].Value, root.Entries[1].Value);
        Assert.Equal("shop", Assert.IsType<YamlScalar>(root.Entries[3].Value).Value);
    }

    [Fact]
    public void Load_UsesTheLatestAnchor_WhenAnAnchorNameIsRedefined()
    {
        var root = Assert.IsType<YamlMapping>(Load("a: &x 1\nb: &x 2\nc: *x", out var diagnostics));

        Assert.Empty(diagnostics.ToSortedList());
        Assert.Equal("2", Assert.IsType<YamlScalar>(root.Entries[2].Value).Value);
    }

    [Theory]
    [InlineData("a: *nope", 1, 4, "the alias '*nope' names no anchor defined before it")]
    [InlineData("a: *later\nb: &later 1", 1, 4, "the alias '*later' names no anchor defined before it")]
    [InlineData("a: &self [1, *self]", 1, 14, "the alias '*self' names no anchor defined before it")]
    public void Load_ReportsTheAlias_WhenItNamesNoEarlierAnchor(string text, int line, int column, string message)
    {
        Assert.Null(Load(text, out var diagnostics));

        AssertSingle(diagnostics, line, column, "YAML syntax error: " + message);
    }

    [Fact]
    public void Load_ReportsTheSecondKeyAndKeepsTheFirst_WhenAKeyIsWrittenTwice()
    {
        const string text = """
            stages: [a]
            jobs:
              build: { stage: a, script: [x], stage: b }
            stages: [b]
            """;

        var root = Assert.IsType<YamlMapping>(Load(text, out var diagnostics));

        var errors = diagnostics.ToSortedList();
        Assert.Equal(2, errors.Count);
        Assert.Equal(new Diagnostic(new SourceLocation(3, 35), "duplicate key 'stage' (first written at line 3)"), errors[0]);
        Assert.Equal(new Diagnostic(new SourceLocation(4, 1), "duplicate key 'stages' (first written at line 1)"), errors[1]);
        Assert.Equal(["stages", "jobs"], root.Entries.Select(e => e.Key.Value));
        Assert.Equal(new SourceLocation(1, 9), root.Entries[0].Value.Location);
    }

    [Fact]
    public void Load_AcceptsSeveralMergeKeys_WhenMappingMergesMoreThanOneAnchor()
    {
        var root = Assert.IsType<YamlMapping>(Load("a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: *a\n  <<: *b\n", out var diagnostics));

        Assert.Empty(diagnostics.ToSortedList());
        var merged = Assert.IsType<YamlMapping>(root.Entries[2].Value);
        Assert.Equal(["<<", "<<"], merged.Entries.Select(e => e.Key.Value));
    }

    [Theory]
    [InlineData("? [a, b]\n: 1", 1, 3, "a key must be a plain name, not a list")]
    [InlineData("? {a: 1}\n: 1", 1, 3, "a key must be a plain name, not a mapping")]
    public void Load_ReportsTheKey_WhenAKeyIsNotAScalar(string text, int line, int column, string message)
    {
        Assert.IsType<YamlMapping>(Load(text, out var diagnostics));

        AssertSingle(diagnostics, line, column, message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n\n")]
    [InlineData("# only a comment")]
    [InlineData("# one\n\n# two\n")]
    public void Load_ReportsThatThereIsNoPipeline_WhenTextIsEmptyOrOnlyComments(string text)
    {
        Assert.Null(Load(text, out var diagnostics));

        AssertSingle(diagnostics, 1, 1, "the file holds no pipeline (it is empty or only comments)");
    }

    [Fact]
    public void Load_ReturnsANullRoot_WhenTheOnlyDocumentIsEmpty()
    {
        var root = Assert.IsType<YamlScalar>(Load("---\n", out var diagnostics));

        Assert.True(root.IsNull);
        Assert.Empty(diagnostics.ToSortedList());
    }

    [Theory]
    [InlineData("a: 1\n---\nb: 2\n", 2, 1)]
    [InlineData("---\na: 1\n---\nb: 2\n", 3, 1)]
    [InlineData("a: 1\n...\n---\nb: 2\n", 3, 1)]
    [InlineData("a: 1\n---\n", 2, 1)]
    public void Load_ReportsTheSecondDocument_WhenTextHoldsMoreThanOne(string text, int line, int column)
    {
        Assert.Null(Load(text, out var diagnostics));

        AssertSingle(diagnostics, line, column, "the file holds more than one YAML document; a pipeline is one document");
    }

    [Theory]
    [InlineData("a: 1\n...\n")]
    [InlineData("---\na: 1\n...\n")]
    public void Load_AcceptsExplicitDocumentMarkers_WhenThereIsOneDocument(string text)
    {
        Assert.IsType<YamlMapping>(Load(text, out var diagnostics));
        Assert.Empty(diagnostics.ToSortedList());
    }

    public static TheoryData<string, int, int, string> SyntaxErrors => new()
    {
        // A tab in indentation: at the tab, not where the value before it started.
        { "stages: [a]\njobs:\n  a:\n    stage: a\n\timage: x\n", 5, 1, "found a tab character that violate indentation" },
        { "a:\n\tb: 1\n", 2, 1, "found invalid tab as indentation" },
        // An unclosed quote: where it opens.
        { "name: \"unterminated\n", 1, 7, "While scanning a quoted scalar, found unexpected end of stream" },
        { "stages: [a]\nname: 'x\n", 2, 7, "While scanning a quoted scalar, found unexpected end of stream" },
        { "a: \"x\n  \\q\"\n", 2, 3, "found unknown escape character" },
        { "a: b: c\n", 1, 5, "found invalid mapping" },
        { "stages: [a, b\n", 2, 1, "did not find expected ',' or ']'" },
        { "jobs: {a: 1\n", 2, 1, "did not find expected ',' or '}'" },
        // YamlDotNet's scanner throws a bare InvalidOperationException on this one.
        { "stages: [a\njobs: {}\n", 2, 1, "check for an unclosed '[' or '{' and the indentation" },
        { "stages: [a]\n  jobs: {}\n", 2, 3, "While parsing a block mapping, did not find expected key" },
        { "a:\n  - x\n  y: z\n", 3, 3, "did not find expected '-' indicator" },
        { "a: |\n  x\n y\n", 3, 2, "did not find expected key" },
        { "a: *\n", 1, 4, "While scanning an anchor or alias" },
        { "a: !<tag x\n", 1, 4, "did not find the expected '>'" },
        { "@foo: 1\n", 1, 1, "found character that cannot start any token" },
        { "stages: [a]\n`x: 1\n", 2, 1, "found character that cannot start any token" },
        { "%YAML 1.1\n%YAML 1.1\n---\na: 1\n", 2, 1, "did not find preceding <document end>" },
    };

    [Theory]
    [MemberData(nameof(SyntaxErrors))]
    public void Load_ReportsOneSyntaxErrorWhereTheProblemIs_WhenTextIsNotValidYaml(string text, int line, int column, string message)
    {
        Assert.Null(Load(text, out var diagnostics));

        var error = Assert.Single(diagnostics.ToSortedList());
        Assert.Equal(new SourceLocation(line, column), error.Location);
        Assert.StartsWith("YAML syntax error: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("(Line:", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("needs: [build, !!deploy]\n", "Global tags must be valid URIs.")]
    [InlineData("a: !!x]\n", "Global tags must be valid URIs.")]
    public void Load_ReportsASyntaxErrorInsteadOfThrowing_WhenATagIsNotAValidUri(string text, string message)
    {
        Assert.Null(Load(text, out var diagnostics));

        // Where the scanner stopped: the exception carries no position.
        var error = Assert.Single(diagnostics.ToSortedList());
        Assert.Equal("YAML syntax error: " + message, error.Message);
    }

    [Theory]
    [InlineData(YamlTreeLoader.MaxDepth)]
    [InlineData(YamlTreeLoader.MaxDepth - 1)]
    public void Load_ReadsNesting_WhenItIsWithinTheLimit(int depth)
    {
        var text = new string('[', depth) + "x" + new string(']', depth);

        Assert.IsType<YamlSequence>(Load(text, out var diagnostics));
        Assert.Empty(diagnostics.ToSortedList());
    }

    [Theory]
    [InlineData(YamlTreeLoader.MaxDepth + 1)]
    [InlineData(10_000)]
    [InlineData(300_000)]
    public void Load_ReportsAnErrorInsteadOfOverflowingTheStack_WhenListsNestTooDeep(int depth)
    {
        var text = "a: " + new string('[', depth) + new string(']', depth);

        // The mapping is the first level, the 100th "[" (column 103) the 101st. A small stack proves the loader
        // does not recurse once per level of the input.
        var (root, diagnostics) = OnSmallStack(() => (Load(text, out var bag), bag));

        Assert.Null(root);
        AssertSingle(diagnostics, 1, 3 + YamlTreeLoader.MaxDepth, "lists and mappings are nested more than 100 levels deep");
    }

    [Fact]
    public void Load_ReportsAnError_WhenMappingsNestTooDeep()
    {
        var text = new StringBuilder();
        for (var i = 0; i < 5_000; i++) text.Append(' ', i).Append("k:\n");
        text.Append(' ', 5_000).Append("v\n");

        var (root, diagnostics) = OnSmallStack(() => (Load(text.ToString(), out var bag), bag));

        Assert.Null(root);
        AssertSingle(diagnostics, YamlTreeLoader.MaxDepth + 1, YamlTreeLoader.MaxDepth + 1, "nested more than 100 levels deep");
    }

    [Fact]
    public void Load_SharesAliasedNodesInsteadOfCopyingThem_WhenTextIsABillionLaughsBomb()
    {
        var bomb = new StringBuilder("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var i = 1; i <= 9; i++)
            bomb.Append($"l{i}: &l{i} [{string.Join(", ", Enumerable.Repeat($"*l{i - 1}", 9))}]\n");

        var before = GC.GetAllocatedBytesForCurrentThread();
        var root = Assert.IsType<YamlMapping>(Load(bomb.ToString(), out var diagnostics));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Empty(diagnostics.ToSortedList());
        // Expanded, the last list would hold 9^10 (3.4 billion) scalars; shared, it is ten lists of nine items.
        var top = Assert.IsType<YamlSequence>(root.Entries[9].Value);
        Assert.Same(root.Entries[8].Value, top.Items[0]);
        Assert.Same(top.Items[0], top.Items[8]);
        Assert.True(allocated < 5_000_000, $"loading allocated {allocated:N0} bytes");
    }

    private static YamlNode? Load(string text, out DiagnosticBag diagnostics)
    {
        diagnostics = new DiagnosticBag();
        return YamlTreeLoader.Load(text, diagnostics);
    }

    private static void AssertSingle(DiagnosticBag diagnostics, int line, int column, string message)
    {
        var error = Assert.Single(diagnostics.ToSortedList());
        Assert.Equal(new SourceLocation(line, column), error.Location);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    private static T OnSmallStack<T>(Func<T> work)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = work();
            }
            catch (Exception e)
            {
                failure = e;
            }
        }, maxStackSize: 256 * 1024);
        thread.Start();
        thread.Join();
        if (failure is not null) throw new InvalidOperationException("the work failed on the small stack", failure);
        return result;
    }
}
