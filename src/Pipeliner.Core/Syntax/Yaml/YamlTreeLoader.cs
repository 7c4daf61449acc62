using Pipeliner.Core.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Pipeliner.Core.Syntax.Yaml;

/// <summary>
/// Reads YAML text into <see cref="YamlNode"/>s straight from the parser's events, so that every node keeps
/// its position, duplicate keys are reported instead of thrown, and aliases resolve to their anchors.
/// </summary>
public sealed class YamlTreeLoader
{
    /// <summary>Far deeper than any pipeline; the limit keeps hostile nesting from exhausting the call stack.</summary>
    public const int MaxDepth = 100;

    private readonly Dictionary<string, YamlNode> _anchors = new(StringComparer.Ordinal);
    private readonly DiagnosticBag _diagnostics;
    private readonly IParser _parser;
    private int _depth;

    private YamlTreeLoader(IParser parser, DiagnosticBag diagnostics)
    {
        _parser = parser;
        _diagnostics = diagnostics;
    }

    /// <summary>The single document's root node, or null (with a diagnostic) when the text is not usable YAML.</summary>
    public static YamlNode? Load(string text, DiagnosticBag diagnostics)
    {
        // The fast reader builds the same tree for the YAML pipelines are written in and declines the rest, errors
        // included, which YamlDotNet then reads and reports.
        var fast = FastYamlReader.TryRead(text);
        if (fast is not null) return fast;

        return LoadWithYamlDotNet(text, diagnostics);
    }

    /// <summary>As <see cref="Load"/>, always through YamlDotNet's parser (the reference the fast reader is tested against).</summary>
    internal static YamlNode? LoadWithYamlDotNet(string text, DiagnosticBag diagnostics)
    {
        var scanner = new Scanner(new StringReader(text));
        try
        {
            return new YamlTreeLoader(new Parser(scanner), diagnostics).LoadSingleDocument();
        }
        catch (YamlException e)
        {
            diagnostics.Add(At(WhereToPoint(e, scanner.CurrentPosition, text.Length)), "YAML syntax error: " + Describe(e));
            return null;
        }
        catch (ArgumentException e)
        {
            // YamlDotNet's parser throws this for a tag or anchor name it cannot hold, such as the '!!x]' of "[!!x]".
            diagnostics.Add(At(scanner.CurrentPosition), "YAML syntax error: " + e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal));
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this, without a message, for some malformed text such as a '[' list that
            // goes on at a smaller indentation than its key: "stages: [a" followed by "jobs:".
            diagnostics.Add(At(scanner.CurrentPosition),
                "YAML syntax error: the text cannot be read from here; check for an unclosed '[' or '{' and the indentation");
            return null;
        }
    }

    private YamlNode? LoadSingleDocument()
    {
        _parser.Consume<StreamStart>();
        if (_parser.Accept<StreamEnd>(out _))
        {
            _diagnostics.Add(SourceLocation.Start, "the file holds no pipeline (it is empty or only comments)");
            return null;
        }

        _parser.Consume<DocumentStart>();
        var root = ReadNode();
        _parser.Consume<DocumentEnd>();
        if (_parser.Accept<DocumentStart>(out var second))
        {
            _diagnostics.Add(At(second.Start), "the file holds more than one YAML document; a pipeline is one document");
            return null;
        }

        return root;
    }

    private YamlNode ReadNode()
    {
        var current = _parser.Current ?? throw new YamlException("unexpected end of the file");
        switch (current)
        {
            case AnchorAlias alias:
                _parser.MoveNext();
                if (_anchors.TryGetValue(alias.Value.Value, out var anchored)) return anchored;
                throw new YamlException(alias.Start, alias.End, $"the alias '*{alias.Value.Value}' names no anchor defined before it");
            case YamlDotNet.Core.Events.Scalar scalar:
                _parser.MoveNext();
                return Remember(scalar.Anchor, new YamlScalar(scalar.Value, IsNull(scalar), At(scalar.Start)));
            case SequenceStart start:
                Enter(start);
                var items = new List<YamlNode>();
                while (!_parser.TryConsume<SequenceEnd>(out _)) items.Add(ReadNode());
                _depth--;
                return Remember(start.Anchor, new YamlSequence(items, At(start.Start)));
            case MappingStart start:
                Enter(start);
                var mapping = ReadMapping(At(start.Start));
                _depth--;
                return Remember(start.Anchor, mapping);
            default:
                throw new YamlException(current.Start, current.End, $"unexpected {current.GetType().Name}");
        }
    }

    private void Enter(ParsingEvent collectionStart)
    {
        if (++_depth > MaxDepth)
            throw new YamlException(collectionStart.Start, collectionStart.End, $"lists and mappings are nested more than {MaxDepth} levels deep");
        _parser.MoveNext();
    }

    private YamlMapping ReadMapping(SourceLocation location)
    {
        var entries = new List<YamlEntry>();
        var seen = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        while (!_parser.TryConsume<MappingEnd>(out _))
        {
            var keyNode = ReadNode();
            var value = ReadNode();
            if (keyNode is not YamlScalar key)
            {
                _diagnostics.Add(keyNode.Location, $"a key must be a plain name, not {keyNode.KindName}");
                continue;
            }

            if (key.Value != "<<" && seen.TryGetValue(key.Value, out var first))
            {
                _diagnostics.Add(key.Location, $"duplicate key '{key.Value}' (first written at line {first.Line})");
                continue;
            }

            seen[key.Value] = key.Location;
            entries.Add(new YamlEntry(key, value));
        }

        return new YamlMapping(entries, location);
    }

    private YamlNode Remember(AnchorName anchor, YamlNode node)
    {
        if (!anchor.IsEmpty) _anchors[anchor.Value] = node;
        return node;
    }

    private static bool IsNull(YamlDotNet.Core.Events.Scalar scalar) =>
        scalar.Style == ScalarStyle.Plain && scalar.Value is "" or "~" or "null" or "Null" or "NULL";

    private static SourceLocation At(Mark mark) => new((int)Math.Max(1, mark.Line), (int)Math.Max(1, mark.Column));

    /// <summary>
    /// YamlDotNet gives the construct being read (Start) and the place of the problem (End). The problem is shown when
    /// it is on a later line, such as a tab inside a multi-line value, unless it is the end of the text (an unclosed
    /// quote is best shown where it opens). Some errors come without any position: then where the scanner stopped.
    /// </summary>
    private static Mark WhereToPoint(YamlException e, Mark scannerPosition, int textLength)
    {
        if (e.Start.Equals(Mark.Empty) && e.End.Equals(Mark.Empty)) return scannerPosition;
        return e.End.Line > e.Start.Line && e.End.Index < textLength ? e.End : e.Start;
    }

    private static string Describe(YamlException e)
    {
        // YamlDotNet prefixes messages with "(Line: 3, Col: 5, Idx: 20) - (Line: ...): "; the position is printed separately.
        var message = e.InnerException?.Message ?? e.Message;
        var marker = message.LastIndexOf("): ", StringComparison.Ordinal);
        return marker >= 0 && message.StartsWith("(Line", StringComparison.Ordinal) ? message[(marker + 3)..] : message;
    }
}
