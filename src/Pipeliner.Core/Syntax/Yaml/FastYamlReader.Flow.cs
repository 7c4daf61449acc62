using Pipeliner.Core.Diagnostics;

namespace Pipeliner.Core.Syntax.Yaml;

/// <summary>Flow collections: "[a, b]" and "{a: 1}", possibly over several lines.</summary>
internal sealed partial class FastYamlReader
{
    private int _openFlowMappings;

    /// <param name="blockIndent">
    /// The column of the enclosing block collection: YamlDotNet requires the flow's further lines to be indented past it.
    /// </param>
    private YamlNode ReadFlowCollection(int blockIndent, SourceLocation location)
    {
        Enter();
        var isSequence = Peek() == '[';
        var closer = isSequence ? ']' : '}';
        _pos++;
        var firstItem = _items.Count;
        var firstEntry = _entries.Count;
        HashSet<string>? keys = null;
        var first = true;
        if (!isSequence) _openFlowMappings++;
        while (true)
        {
            SkipFlowSpace(blockIndent);
            if (Peek() == closer)
            {
                if (!first) throw Decline("a comma before the end of a flow collection");
                _pos++;
                break;
            }

            first = false;
            if (isSequence)
            {
                var item = ReadFlowNode(blockIndent);
                _items.Add(item);
            }
            else
            {
                var key = ReadFlowKey();
                SkipFlowSpace(blockIndent);
                if (Peek() is ',' or '}') throw Decline("an empty value in a flow mapping");
                AddEntry(firstEntry, key, ReadFlowNode(blockIndent), ref keys);
            }

            SkipFlowSpace(blockIndent);
            var c = Peek();
            if (c == closer)
            {
                _pos++;
                break;
            }

            if (c != ',') throw Decline($"'{c}' where a flow collection expects ',' or '{closer}'");
            _pos++;
        }

        if (!isSequence) _openFlowMappings--;
        _depth--;
        return isSequence ? new YamlSequence(TakeItems(firstItem), location) : new YamlMapping(TakeEntries(firstEntry), location);
    }

    private YamlNode ReadFlowNode(int blockIndent)
    {
        var start = Here;
        PendingAnchor? anchor = null;
        if (Peek() == '&')
        {
            anchor = ReadAnchor();
            SkipSpaces();
            if (AtLineEnd()) throw Decline("an anchor at the end of a line in a flow collection");
            // YamlDotNet fails on "{a: &x b, c: d}": inside a flow mapping only anchored collections are left to us.
            if (_openFlowMappings > 0 && Peek() is not ('[' or '{')) throw Decline("an anchored scalar inside a flow mapping");
        }

        var location = anchor?.Location ?? start;
        var c = Peek();
        switch (c)
        {
            case '[' or '{':
                return Remember(anchor, ReadFlowCollection(blockIndent, location));
            case '"' or '\'':
                return Remember(anchor, new YamlScalar(ReadQuoted(), false, location));
            case '*':
                if (anchor is not null) throw Decline("an anchor before an alias");
                return ReadAlias(inFlow: true);
        }

        if (!CanStartPlainScalarInFlow(c)) throw Decline($"'{c}' starting a node in a flow collection");
        var value = ReadPlainInFlow();
        return Remember(anchor, new YamlScalar(value, IsNullPlain(value), location));
    }

    private YamlScalar ReadFlowKey()
    {
        var start = Here;
        var startIndex = _pos;
        var c = Peek();
        string value;
        bool isNull;
        if (c is '"' or '\'')
        {
            value = ReadQuoted();
            isNull = false;
        }
        else
        {
            if (!CanStartPlainScalarInFlow(c)) throw Decline($"'{c}' where a flow mapping expects a key");
            value = Slice(startIndex, ScanPlainLine(inFlow: true, isKeyAtIndent: false, out _));
            isNull = IsNullPlain(value);
        }

        SkipSpaces();
        if (!IsValueIndicator()) throw Decline("a flow mapping entry without ': '");
        if (_pos - startIndex > LongestKey) throw Decline("a key too long for a simple key");
        _pos++;
        return new YamlScalar(value, isNull, start);
    }

    /// <summary>Skips spaces, comments and line breaks inside a flow collection.</summary>
    private void SkipFlowSpace(int blockIndent)
    {
        var crossedLine = SkipToNextToken();
        if (!crossedLine || AtEnd) return;
        if (Column <= blockIndent) throw Decline("a flow collection's line not indented past its block");
        if (IsDocumentMarker('-') || IsDocumentMarker('.')) throw Decline("a document marker in a flow collection");
    }
}
