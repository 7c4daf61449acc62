using System.Text;
using Pipeliner.Engine.Reports;

namespace Pipeliner.Engine.Tests.Reports;

public sealed class JUnitReaderTests
{
    private static TestSummary Read(string xml, ReportLimits? limits = null) =>
        JUnitReader.Read(new MemoryStream(Encoding.UTF8.GetBytes(xml)), limits ?? ReportLimits.Default);

    private static string Problem(string xml, ReportLimits? limits = null) =>
        Assert.Throws<ReportFormatException>(() => Read(xml, limits)).Message;

    [Fact]
    public void Read_CountsCasesAndKeepsFailures_WhenSuitesAreNested()
    {
        var summary = Read("""
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuites name="all" tests="999">
              <testsuite name="Orders" time="1.5">
                <testcase name="adds" classname="OrdersTests" time="0.1"/>
                <testcase name="totals" classname="OrdersTests" time="0.2">
                  <failure message="expected 3 but was 4" type="AssertionError">at OrdersTests.totals(OrdersTests.java:12)
            at java.base/Thread.run</failure>
                </testcase>
                <testcase name="boots" classname="AppTests"><error type="NullPointerException">java.lang.NullPointerException
            at App.main</error></testcase>
                <testcase name="later" classname="AppTests"><skipped/></testcase>
                <testcase name="flaky" classname="AppTests"><system-out>noise</system-out></testcase>
              </testsuite>
              <testsuite name="Other" time="0.5"><testsuite name="inner" time="9"><testcase name="x" classname="Y"/></testsuite></testsuite>
            </testsuites>
            """);

        Assert.Equal((6, 1, 1, 1), (summary.Total, summary.Failed, summary.Errored, summary.Skipped));
        Assert.Equal(TimeSpan.FromSeconds(2), summary.Duration);
        Assert.Equal(2, summary.Failures.Count);
        var failed = summary.Failures[0];
        Assert.Equal(("totals", "OrdersTests", "expected 3 but was 4", false), (failed.Name, failed.ClassName, failed.Message, failed.Errored));
        Assert.StartsWith("at OrdersTests.totals(OrdersTests.java:12)", failed.StackTrace);
        var errored = summary.Failures[1];
        Assert.True(errored.Errored);
        Assert.Equal("NullPointerException", errored.Message);
    }

    [Fact]
    public void Read_RefusesTheDocumentType_WhenAReportDeclaresEntities()
    {
        // The billion laughs: ten levels of ten references would expand to 10^9 "lol"s.
        var entities = new StringBuilder("<!DOCTYPE lolz [<!ENTITY lol \"lol\">");
        for (var i = 1; i <= 9; i++)
            entities.Append($"<!ENTITY lol{i} \"{string.Concat(Enumerable.Repeat($"&lol{(i == 1 ? "" : (i - 1).ToString())};", 10))}\">");
        entities.Append("]>");
        var xml = entities + "<testsuite><testcase name=\"&lol9;\"/></testsuite>";

        var problem = Problem(xml);

        Assert.Equal("a DTD (<!DOCTYPE …>) is not allowed in a report", problem);
    }

    [Fact]
    public void Read_RefusesExternalEntities_WhenAReportNamesAFile()
    {
        var problem = Problem("<!DOCTYPE t [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><testsuite><testcase name=\"&x;\"/></testsuite>");

        Assert.Contains("DTD", problem);
    }

    [Fact]
    public void Read_StopsAtTheDepthLimit_WhenElementsNestTooDeep()
    {
        var xml = "<testsuites>" + string.Concat(Enumerable.Repeat("<testsuite>", 10_000)) + string.Concat(Enumerable.Repeat("</testsuite>", 10_000)) + "</testsuites>";

        var problem = Problem(xml);

        Assert.Equal("line 1, column 707: elements nested deeper than 64 levels", problem);
    }

    [Fact]
    public void Read_StopsAtTheSizeLimit_WhenTheDocumentIsLarger()
    {
        var xml = "<testsuite>" + string.Concat(Enumerable.Repeat("<testcase name=\"a\"/>", 1000)) + "</testsuite>";

        var problem = Problem(xml, new ReportLimits(MaxFileBytes: 1000));

        Assert.Equal("more than the 1000 characters a report may have", problem);
    }

    [Fact]
    public void Read_BoundsMessageAndStackTrace_WhenAFailureIsHuge()
    {
        var trace = new string('x', 100_000);
        var summary = Read($"<testsuite><testcase name=\"a\" classname=\"B\"><failure message=\"{new string('m', 10_000)}\">{trace}</failure></testcase></testsuite>");

        var failure = Assert.Single(summary.Failures);
        Assert.Equal(ReportLimits.Default.MaxMessageChars, failure.Message.Length);
        Assert.Equal(ReportLimits.Default.MaxStackTraceChars, failure.StackTrace.Length);
        Assert.EndsWith("…", failure.StackTrace);
    }

    [Fact]
    public void Read_KeepsAtMostTheFailureLimit_WhileCountingEveryFailure()
    {
        var cases = string.Concat(Enumerable.Range(0, 50).Select(i => $"<testcase name=\"t{i}\"><failure message=\"no\"/></testcase>"));

        var summary = Read($"<testsuite>{cases}</testsuite>", new ReportLimits(MaxFailures: 10));

        Assert.Equal(50, summary.Failed);
        Assert.Equal(10, summary.Failures.Count);
    }

    [Theory]
    [InlineData("<html><body/></html>", "line 1, column 2: not JUnit XML: the root element is <html>, not <testsuites> or <testsuite>")]
    [InlineData("<testsuite><testcase name=\"a\">", "line 1, column 31: Unexpected end of file has occurred. The following elements are not closed: testcase, testsuite")]
    [InlineData("not xml at all", "line 1, column 1: Data at the root level is invalid")]
    public void Read_SaysWhereAndWhy_WhenTheFileIsNotJUnitXml(string xml, string expected)
    {
        Assert.Equal(expected, Problem(xml));
    }
}
