using Pipeliner.Engine.Secrets;

namespace Pipeliner.Engine.Tests.Secrets;

public sealed class DotEnvParserTests
{
    [Fact]
    public void Parse_ReadsNameValuePairs_WhenLinesArePlain()
    {
        var values = DotEnvParser.Parse("A=1\nB_2=two words\nC=x=y\nEMPTY=\n", "s.env");

        Assert.Equal(new Dictionary<string, string> { ["A"] = "1", ["B_2"] = "two words", ["C"] = "x=y", ["EMPTY"] = "" }, values);
    }

    [Fact]
    public void Parse_SkipsCommentsAndBlankLines_WhenPresent()
    {
        var values = DotEnvParser.Parse("# heading\n\n   \n  # indented comment\nA=1 # trailing comment\nB=a#b\n", "s.env");

        Assert.Equal(new Dictionary<string, string> { ["A"] = "1", ["B"] = "a#b" }, values);
    }

    [Fact]
    public void Parse_IgnoresExportPrefix_WhenLineStartsWithIt()
    {
        var values = DotEnvParser.Parse("export TOKEN=abc\n  export   OTHER = def\n", "s.env");

        Assert.Equal(new Dictionary<string, string> { ["TOKEN"] = "abc", ["OTHER"] = "def" }, values);
    }

    [Fact]
    public void Parse_KeepsSingleQuotedValueLiteral_WhenItHasBackslashesAndHashes()
    {
        var values = DotEnvParser.Parse(@"A='a\nb # not a comment' # comment", "s.env");

        Assert.Equal(@"a\nb # not a comment", values["A"]);
    }

    [Fact]
    public void Parse_UnescapesDoubleQuotedValue_WhenItHasEscapes()
    {
        var values = DotEnvParser.Parse(@"A=""line1\nline2\ttab \""quoted\"" back\\slash"" # comment", "s.env");

        Assert.Equal("line1\nline2\ttab \"quoted\" back\\slash", values["A"]);
    }

    [Fact]
    public void Parse_ReadsRealNewlines_WhenDoubleQuotedValueSpansLines()
    {
        const string text = "KEY=\"-----BEGIN KEY-----\nMIIEow\n  indented\n-----END KEY-----\"\nNEXT=1\n";

        var values = DotEnvParser.Parse(text, "s.env");

        Assert.Equal("-----BEGIN KEY-----\nMIIEow\n  indented\n-----END KEY-----", values["KEY"]);
        Assert.Equal("1", values["NEXT"]);
    }

    [Fact]
    public void Parse_KeepsSpacesInsideQuotes_WhenMultiLineValueHasTrailingSpaces()
    {
        var values = DotEnvParser.Parse("KEY=\"first  \nsecond \"\n", "s.env");

        Assert.Equal("first  \nsecond ", values["KEY"]);
    }

    [Fact]
    public void Parse_HandlesWindowsLineEnds_WhenFileUsesCrLf()
    {
        var values = DotEnvParser.Parse("A=1\r\nB=\"x\r\ny\"\r\n", "s.env");

        Assert.Equal("1", values["A"]);
        Assert.Equal("x\ny", values["B"]);
    }

    [Fact]
    public void Parse_LetsLastValueWin_WhenNameRepeats()
    {
        Assert.Equal("2", DotEnvParser.Parse("A=1\nA=2", "s.env")["A"]);
    }

    [Theory]
    [InlineData("JUST_A_NAME", 1)]
    [InlineData("A=1\n=value", 2)]
    [InlineData("A=1\n\n1NAME=x", 3)]
    [InlineData("MY-NAME=x", 1)]
    [InlineData("export", 1)]
    public void Parse_ThrowsWithFileAndLine_WhenLineIsNotNameEqualsValue(string text, int line)
    {
        var error = Assert.Throws<FormatException>(() => DotEnvParser.Parse(text, "secrets.env"));

        Assert.Equal($"secrets.env:{line}: expected NAME=value", error.Message);
    }

    [Theory]
    [InlineData("A=1\nB='open", "secrets.env:2: the ' quote is never closed")]
    [InlineData("A=\"open\nstill open", "secrets.env:1: the \" quote is never closed")]
    public void Parse_ThrowsWithFileAndLine_WhenQuoteIsNeverClosed(string text, string message)
    {
        var error = Assert.Throws<FormatException>(() => DotEnvParser.Parse(text, "secrets.env"));

        Assert.Equal(message, error.Message);
    }
}
