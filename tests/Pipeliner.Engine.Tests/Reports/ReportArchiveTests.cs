using System.Text;
using Pipeliner.Engine.Reports;

namespace Pipeliner.Engine.Tests.Reports;

public sealed class ReportArchiveTests
{
    [Fact]
    public void Read_GivesAProblemNotAnException_WhenAFileIsOversizeEmptyOrMalformed()
    {
        var limits = new ReportLimits(MaxFileBytes: 100);

        var oversize = ReportArchive.Read(ReportKinds.Junit, "big.xml", 101, new MemoryStream(new byte[101]), limits);
        var empty = ReportArchive.Read(ReportKinds.Sarif, "empty.sarif", 0, new MemoryStream(), limits);
        var malformed = ReportArchive.Read(ReportKinds.Junit, "bad.xml", 5, new MemoryStream(Encoding.UTF8.GetBytes("<a><b")), limits);

        Assert.Equal("big.xml: 101 bytes, more than the 100 a report file may have", $"{oversize.Path}: {oversize.Problem}");
        Assert.Equal("the file is empty", empty.Problem);
        Assert.NotNull(malformed.Problem);
        Assert.Equal("pipeliner: warning: test report 'bad.xml' left out: " + malformed.Problem, ReportArchive.Describe(malformed));
    }

    [Theory]
    [InlineData("build/test-results/**/*.xml", "build/test-results")]
    [InlineData("junit.xml", "junit.xml")]
    [InlineData("**/TEST-*.xml", "")]
    [InlineData("{a,b}/x.xml", "")]
    [InlineData("out/", "out")]
    public void LiteralRoot_IsTheDirectoriesBeforeTheFirstWildcard(string glob, string root)
    {
        Assert.Equal(root, ReportCollector.LiteralRoot(glob));
    }

    [Theory]
    [InlineData("", "workspace/out/a.xml", "out/a.xml")]
    [InlineData("", "./a.xml", "a.xml")]
    [InlineData("", "workspace/", null)]
    [InlineData("build/test-results", "test-results/unit/a.xml", "build/test-results/unit/a.xml")]
    [InlineData("junit.xml", "junit.xml", "junit.xml")]
    [InlineData("out", "out/../../etc/passwd", null)]
    public void WorkspacePath_NamesTheEntryFromTheWorkspace(string root, string entry, string? expected)
    {
        Assert.Equal(expected, ReportCollector.WorkspacePath(root, entry));
    }
}
