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
    private readonly Dictionary<string, YamlNode> _anchors = new(StringComparer.Ordinal);
    private readonly DiagnosticBag _diagnostics;
    private readonly IParser _parser;

    private YamlTreeLoader(string text, DiagnosticBag diagnostics)
    {
        _parser = new Parser(new StringReader(text));
        _diagnostics = diagnostics;
    }

    /// <summary>The single document's root node, or null (with a diagnostic) when the text is not usable YAML.</summary>
    public static YamlNode? Load(string text, DiagnosticBag diagnostics)
    {
        try
        {
            return new YamlTreeLoader(text, diagnostics).LoadSingleDocument();
        }
        catch (YamlException e)
        {
            diagnostics.Add(At(e.Start), "YAML syntax error: " + Describe(e));
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
                _parser.MoveNext();
                var items = new List<YamlNode>();
                while (!_parser.TryConsume<SequenceEnd>(out _)) items.Add(ReadNode());
                return Remember(start.Anchor, new YamlSequence(items, At(start.Start)));
            case MappingStart start:
                _parser.MoveNext();
                return Remember(start.Anchor, ReadMapping(At(start.Start)));
            default:
                throw new YamlException(current.Start, current.End, $"unexpected {current.GetType().Name}");
        }
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

    private static string Describe(YamlException e)
    {
        // YamlDotNet prefixes messages with "(Line: 3, Col: 5, Idx: 20) - (Line: ...): "; the position is printed separately.
        var message = e.InnerException?.Message ?? e.Message;
        var marker = message.LastIndexOf("): ", StringComparison.Ordinal);
        return marker >= 0 && message.StartsWith("(Line", StringComparison.Ordinal) ? message[(marker + 3)..] : message;
    }
}
