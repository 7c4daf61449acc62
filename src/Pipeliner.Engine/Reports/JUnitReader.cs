using System.Globalization;
using System.Text;
using System.Xml;

namespace Pipeliner.Engine.Reports;

/// <summary>
/// Reads JUnit XML (<c>&lt;testsuites&gt;</c> or <c>&lt;testsuite&gt;</c> with <c>&lt;testcase&gt;</c> elements, as
/// JUnit, pytest, Gradle, Maven Surefire, Jest and dotnet's JUnit logger write it), streaming and within limits: no DTD
/// (so no entity expansion and nothing fetched), a bounded size and depth, messages and stack traces cut. Tests are
/// counted from their <c>testcase</c> elements, never from a suite's own attributes, which tools fill inconsistently.
/// </summary>
public static class JUnitReader
{
    /// <summary>The tests of <paramref name="xml"/>; throws <see cref="ReportFormatException"/> saying where and why it is not JUnit XML.</summary>
    public static TestSummary Read(Stream xml, ReportLimits limits)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = limits.MaxFileBytes,
            MaxCharactersFromEntities = 1024,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            IgnoreWhitespace = true,
            CloseInput = false,
        };
        try
        {
            using var reader = XmlReader.Create(xml, settings);
            return ReadDocument(reader, limits);
        }
        catch (XmlException e)
        {
            var reason = e.Message.Contains("DTD", StringComparison.Ordinal) ? "a DTD (<!DOCTYPE …>) is not allowed in a report"
                : e.Message.Contains(nameof(XmlReaderSettings.MaxCharactersInDocument), StringComparison.Ordinal) ? $"more than the {limits.MaxFileBytes} characters a report may have"
                : FirstSentence(e.Message);
            throw new ReportFormatException(e.LineNumber > 0 ? $"line {e.LineNumber}, column {e.LinePosition}: {reason}" : reason);
        }
    }

    private static TestSummary ReadDocument(XmlReader reader, ReportLimits limits)
    {
        if (reader.MoveToContent() != XmlNodeType.Element)
            throw new ReportFormatException("not JUnit XML: the file has no root element");
        if (reader.LocalName is not ("testsuites" or "testsuite"))
            throw new ReportFormatException($"{Where(reader)}not JUnit XML: the root element is <{reader.LocalName}>, not <testsuites> or <testsuite>");

        int total = 0, failed = 0, errored = 0, skipped = 0;
        var casesTime = 0d;
        double? suitesTime = 0;
        var failures = new List<TestFailure>();
        var suiteDepth = int.MaxValue;
        do
        {
            if (reader.NodeType != XmlNodeType.Element) continue;
            CheckDepth(reader, limits);
            if (reader.LocalName == "testsuite" && reader.Depth <= suiteDepth)
            {
                // The outermost suites' times include their set-up; nested suites are inside them.
                suiteDepth = reader.Depth;
                suitesTime = Seconds(reader.GetAttribute("time")) is { } time && suitesTime is { } sum ? sum + time : null;
            }
            else if (reader.LocalName == "testcase")
            {
                var (result, failure, time) = ReadCase(reader, limits);
                total++;
                casesTime += time ?? 0;
                switch (result)
                {
                    case CaseResult.Failed: failed++; break;
                    case CaseResult.Errored: errored++; break;
                    case CaseResult.Skipped: skipped++; break;
                }

                if (failure is not null && failures.Count < limits.MaxFailures) failures.Add(failure);
            }
        }
        while (reader.Read());

        var seconds = suiteDepth == int.MaxValue || suitesTime is null ? casesTime : suitesTime.Value;
        return new TestSummary(total, failed, errored, skipped, TimeSpan.FromSeconds(Math.Clamp(seconds, 0, TimeSpan.MaxValue.TotalSeconds / 2)), failures);
    }

    private enum CaseResult { Passed, Failed, Errored, Skipped }

    /// <summary>Reads one <c>testcase</c> and its children; the reader is left on its last node.</summary>
    private static (CaseResult Result, TestFailure? Failure, double? Time) ReadCase(XmlReader reader, ReportLimits limits)
    {
        var name = reader.GetAttribute("name") ?? "";
        var className = reader.GetAttribute("classname") ?? reader.GetAttribute("class") ?? "";
        var time = Seconds(reader.GetAttribute("time"));
        if (reader.IsEmptyElement) return (CaseResult.Passed, null, time);

        var result = CaseResult.Passed;
        string message = "", trace = "";
        var depth = reader.Depth;
        while (reader.Read() && reader.Depth > depth)
        {
            if (reader.NodeType != XmlNodeType.Element) continue;
            CheckDepth(reader, limits);
            if (reader.Depth != depth + 1) continue;
            var found = reader.LocalName switch
            {
                "error" => CaseResult.Errored,
                "failure" => CaseResult.Failed,
                "skipped" => CaseResult.Skipped,
                _ => CaseResult.Passed,
            };
            // An error outweighs a failure, which outweighs a skip; the first of the weightiest kind is kept.
            if (found == CaseResult.Passed || Weight(found) <= Weight(result)) continue;
            result = found;
            message = ReportLimits.Bounded(reader.GetAttribute("message") ?? reader.GetAttribute("type"), limits.MaxMessageChars);
            trace = InnerText(reader, limits);
            if (message.Length == 0) message = ReportLimits.Bounded(trace.Split('\n')[0], limits.MaxMessageChars);
        }

        var failure = result is CaseResult.Failed or CaseResult.Errored
            ? new TestFailure(ReportLimits.Bounded(name, 500), ReportLimits.Bounded(className, 500), message, trace, result == CaseResult.Errored)
            : null;
        return (result, failure, time);
    }

    private static int Weight(CaseResult result) => result switch
    {
        CaseResult.Errored => 3,
        CaseResult.Failed => 2,
        CaseResult.Skipped => 1,
        _ => 0,
    };

    /// <summary>The text inside the element the reader is on, at most the stack trace limit; the reader ends on its end.</summary>
    private static string InnerText(XmlReader reader, ReportLimits limits)
    {
        if (reader.IsEmptyElement) return "";
        var text = new StringBuilder();
        var depth = reader.Depth;
        while (reader.Read() && reader.Depth > depth)
        {
            if (reader.NodeType is XmlNodeType.Element) CheckDepth(reader, limits);
            if (reader.NodeType is XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.SignificantWhitespace && text.Length <= limits.MaxStackTraceChars)
                text.Append(reader.Value.AsSpan(0, Math.Min(reader.Value.Length, limits.MaxStackTraceChars + 1 - text.Length)));
        }

        return ReportLimits.Bounded(text.ToString(), limits.MaxStackTraceChars);
    }

    private static void CheckDepth(XmlReader reader, ReportLimits limits)
    {
        if (reader.Depth >= limits.MaxDepth)
            throw new ReportFormatException($"{Where(reader)}elements nested deeper than {limits.MaxDepth} levels");
    }

    private static double? Seconds(string? text) =>
        double.TryParse(text?.Replace(",", ""), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && double.IsFinite(seconds) && seconds >= 0
            ? seconds
            : null;

    private static string Where(XmlReader reader) =>
        reader is IXmlLineInfo { LineNumber: > 0 } info ? $"line {info.LineNumber}, column {info.LinePosition}: " : "";

    private static string FirstSentence(string message)
    {
        // XmlException messages end with their own " Line 3, position 7.": the position is said once, in front.
        var cut = message.IndexOf(" Line ", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd('.', ' ');
    }
}

/// <summary>A report file that is not what its kind says, or breaks a limit: the message says where and why.</summary>
public sealed class ReportFormatException(string message) : Exception(message);
