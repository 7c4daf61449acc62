using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using Pipeliner.Core.Diagnostics;

namespace Pipeliner.Core.Syntax.Yaml;

/// <summary>
/// Reads the YAML that pipelines are written in straight from the text into the same <see cref="YamlNode"/> tree
/// that <see cref="YamlTreeLoader"/> builds from YamlDotNet's events: same values, positions, anchors and aliases.
/// It declines (returns null) anything outside that subset and every error, so that YamlDotNet reads such text and
/// every message, limit and position stays YamlDotNet's. Declining is always safe; a different tree never is.
/// </summary>
/// <remarks>
/// The rules mirror YamlDotNet's scanner (18.x) where pipelines meet them: the parent collection's column decides
/// where a multi-line plain value may continue and how a block scalar is indented, an empty value sits right after
/// its ':' or '-', and an anchor written on the line before a collection marks where that collection starts.
/// </remarks>
internal sealed partial class FastYamlReader
{
    private const char End = '\0';

    /// <summary>YamlDotNet forgets a possible key this many characters after it starts; such keys are declined.</summary>
    private const int LongestKey = 1000;

    // NUL ends YamlDotNet's input early, NEL and the Unicode separators are line breaks to it, and a byte order mark
    // is text to it: all rare enough in a pipeline to leave to YamlDotNet.
    private static readonly SearchValues<char> Unsupported = SearchValues.Create("\0\u0085\u2028\u2029\uFEFF");

    private readonly string _text;
    private readonly Dictionary<string, YamlNode> _anchors = new(StringComparer.Ordinal);
    private readonly StringBuilder _builder = new();
    private readonly List<YamlEntry> _entries = [];
    private readonly List<YamlNode> _items = [];
    private int _pos;
    private int _line = 1;
    private int _lineStart;
    private int _depth;

    private FastYamlReader(string text)
    {
        _text = text;
        _strings = new Dictionary<string, string>(StringComparer.Ordinal);
        _stringLookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The document's root node, or null when the text is outside the subset this reader handles.</summary>
    public static YamlNode? TryRead(string text) => TryRead(text, out _);

    /// <param name="declined">Why the text was declined, for tests and investigations; null when it was read.</param>
    public static YamlNode? TryRead(string text, out string? declined)
    {
        if (text.AsSpan().ContainsAny(Unsupported))
        {
            declined = "a NUL, NEL, line or paragraph separator or byte order mark";
            return null;
        }

        try
        {
            var root = new FastYamlReader(text).ReadDocument();
            declined = null;
            return root;
        }
        catch (DeclinedException e)
        {
            declined = e.Message;
            return null;
        }
    }

    private YamlNode ReadDocument()
    {
        SkipToNextToken();
        if (AtEnd) throw Decline("no content");
        if (Peek() == '%') throw Decline("a directive");
        if (IsDocumentMarker('-'))
        {
            _pos += 3;
            ExpectLineEnd();
            SkipToNextToken();
            if (AtEnd || IsDocumentMarker('-') || IsDocumentMarker('.')) throw Decline("an empty document");
        }
        else if (IsDocumentMarker('.'))
        {
            throw Decline("a document end marker before any content");
        }

        var root = ReadBlockNode(-1, null, NodePlace.OwnLine);
        if (root is YamlScalar) throw Decline("a scalar document");
        SkipToNextToken();
        if (AtEnd) return root;
        if (!IsDocumentMarker('.')) throw Decline("text after the root node, or a second document");
        _pos += 3;
        ExpectLineEnd();
        SkipToNextToken();
        if (!AtEnd) throw Decline("text after the document end marker");
        return root;
    }

    /// <summary>Where a block node starts, which decides what it may be.</summary>
    private enum NodePlace
    {
        /// <summary>First on its line: any node but a block scalar (its indicator belongs on the key's line).</summary>
        OwnLine,

        /// <summary>After "- " on the same line: anything, a compact mapping or list included.</summary>
        AfterDash,

        /// <summary>After "key: " on the same line: a scalar, a flow collection or an alias; never a block collection.</summary>
        AfterColon,
    }

    /// <summary>An anchor read before its node, with where it was written.</summary>
    private sealed record PendingAnchor(string Name, SourceLocation Location, int Line);

    /// <param name="parentIndent">The 0-based column of the enclosing block collection, -1 at the top.</param>
    private YamlNode ReadBlockNode(int parentIndent, PendingAnchor? anchor, NodePlace place)
    {
        var column = Column;
        var start = Here;
        var startIndex = _pos;
        var location = anchor?.Location ?? start;
        var c = Peek();
        if (IsBlockEntry())
        {
            if (place == NodePlace.AfterColon) throw Decline("a list entry after 'key:' on the same line");
            if (anchor is not null && anchor.Line == _line) throw Decline("an anchor before a list entry on the same line");
            return Remember(anchor, ReadBlockSequence(column, indentless: column == parentIndent, location));
        }

        switch (c)
        {
            case '[' or '{':
            {
                var collection = ReadFlowCollection(parentIndent, location);
                SkipSpaces();
                if (Peek() == ':') throw Decline("a flow collection as a key");
                ExpectLineEnd();
                return Remember(anchor, collection);
            }
            case '|' or '>':
                if (place == NodePlace.OwnLine) throw Decline("a block scalar indicator on its own line");
                return Remember(anchor, ReadBlockScalar(parentIndent, location));
            case '"' or '\'':
            {
                var value = ReadQuoted();
                SkipSpaces();
                if (IsValueIndicator())
                {
                    if (place == NodePlace.AfterColon || anchor?.Line == start.Line || _pos - startIndex > LongestKey)
                        throw Decline("a quoted key that YamlDotNet does not take as a simple key here");
                    return Remember(anchor, ReadBlockMapping(column, new YamlScalar(value, false, start), location));
                }

                ExpectLineEnd();
                return Remember(anchor, new YamlScalar(value, false, location));
            }
            case '*':
            {
                if (anchor is not null) throw Decline("an anchor before an alias");
                var alias = ReadAlias();
                SkipSpaces();
                if (Peek() == ':') throw Decline("an alias as a key");
                ExpectLineEnd();
                return alias;
            }
        }

        if (!CanStartPlainScalar(c)) throw Decline($"'{c}' starting a node");
        var plain = ReadPlainInBlock(parentIndent, out var endsAtColon, out var multiLine);
        if (!endsAtColon) return Remember(anchor, new YamlScalar(plain, IsNullPlain(plain), location));
        // An anchor on the key's line names the key; one on a line before names the mapping.
        if (multiLine || place == NodePlace.AfterColon || anchor?.Line == start.Line || _pos - startIndex > LongestKey)
            throw Decline("a key that YamlDotNet does not take as a simple key here");
        return Remember(anchor, ReadBlockMapping(column, new YamlScalar(plain, IsNullPlain(plain), start), location));
    }

    /// <summary>Reads a block mapping whose first key is read and whose ':' is next.</summary>
    private YamlMapping ReadBlockMapping(int column, YamlScalar firstKey, SourceLocation location)
    {
        Enter();
        var firstEntry = _entries.Count;
        HashSet<string>? keys = null;
        var key = firstKey;
        while (true)
        {
            _pos++; // the ':'
            var value = ReadBlockValue(column, Here, isMappingValue: true);
            AddEntry(firstEntry, key, value, ref keys);
            SkipToNextToken();
            if (AtEnd || Column < column || IsDocumentMarker('-') || IsDocumentMarker('.')) break;
            if (Column > column) throw Decline("a line indented more than the mapping's keys");
            key = ReadBlockKey();
        }

        _depth--;
        return new YamlMapping(TakeEntries(firstEntry), location);
    }

    private YamlScalar ReadBlockKey()
    {
        var start = Here;
        var startIndex = _pos;
        string value;
        bool isNull;
        var c = Peek();
        if (c is '"' or '\'')
        {
            value = ReadQuoted();
            isNull = false;
            SkipSpaces();
        }
        else
        {
            if (IsBlockEntry() || !CanStartPlainScalar(c)) throw Decline($"'{c}' where a key was expected");
            var contentEnd = ScanPlainLine(inFlow: false, isKeyAtIndent: true, out var endsAtColon);
            if (!endsAtColon) throw Decline("a value where a key was expected");
            value = Slice(startIndex, contentEnd);
            isNull = IsNullPlain(value);
        }

        if (!IsValueIndicator()) throw Decline("a key without ':'");
        if (_pos - startIndex > LongestKey) throw Decline("a key too long for a simple key");
        return new YamlScalar(value, isNull, start);
    }

    /// <summary>Adds an entry to the mapping whose entries start at <paramref name="firstEntry"/> of the shared stack.</summary>
    /// <param name="keys">The mapping's keys once it has many (a search through them all would make "jobs:" quadratic).</param>
    private void AddEntry(int firstEntry, YamlScalar key, YamlNode value, ref HashSet<string>? keys)
    {
        const int KeysSearchedOneByOne = 16;
        if (key.Value != "<<")
        {
            if (keys is null && _entries.Count - firstEntry >= KeysSearchedOneByOne)
            {
                keys = new HashSet<string>(StringComparer.Ordinal);
                for (var i = firstEntry; i < _entries.Count; i++) keys.Add(_entries[i].Key.Value);
            }

            if (keys is not null)
            {
                if (!keys.Add(key.Value)) throw Decline($"a duplicate key '{key.Value}'");
            }
            else
            {
                for (var i = firstEntry; i < _entries.Count; i++)
                {
                    if (_entries[i].Key.Value == key.Value) throw Decline($"a duplicate key '{key.Value}'");
                }
            }
        }

        _entries.Add(new YamlEntry(key, value));
    }

    // Collections are gathered on shared stacks (a nested one is finished before its parent goes on) and copied
    // out at their exact size, instead of growing a list per collection.
    private YamlEntry[] TakeEntries(int first)
    {
        var entries = CollectionsMarshal.AsSpan(_entries)[first..].ToArray();
        _entries.RemoveRange(first, _entries.Count - first);
        return entries;
    }

    private YamlNode[] TakeItems(int first)
    {
        var items = CollectionsMarshal.AsSpan(_items)[first..].ToArray();
        _items.RemoveRange(first, _items.Count - first);
        return items;
    }

    private YamlSequence ReadBlockSequence(int column, bool indentless, SourceLocation location)
    {
        Enter();
        var firstItem = _items.Count;
        while (true)
        {
            _pos++; // the '-'
            var item = ReadBlockValue(column, Here, isMappingValue: false);
            _items.Add(item);
            SkipToNextToken();
            if (AtEnd || Column < column || IsDocumentMarker('-') || IsDocumentMarker('.')) break;
            if (Column > column) throw Decline("a line indented more than the list's entries");
            if (IsBlockEntry()) continue;
            if (indentless) break;
            throw Decline("a line in a list that is not an entry");
        }

        _depth--;
        return new YamlSequence(TakeItems(firstItem), location);
    }

    /// <summary>The node after a mapping's ':' or a list's '-', or the empty value YamlDotNet puts right after it.</summary>
    /// <param name="indent">The column of the mapping's keys or of the list's '-'.</param>
    private YamlNode ReadBlockValue(int indent, SourceLocation emptyLocation, bool isMappingValue)
    {
        SkipSpaces();
        PendingAnchor? anchor = null;
        if (Peek() == '&')
        {
            anchor = ReadAnchor();
            SkipSpaces();
        }

        if (!AtLineEnd()) return ReadBlockNode(indent, anchor, isMappingValue ? NodePlace.AfterColon : NodePlace.AfterDash);

        SkipToNextToken();
        var nodeFollows = !AtEnd && !IsDocumentMarker('-') && !IsDocumentMarker('.') &&
                          (Column > indent || (isMappingValue && Column == indent && IsBlockEntry()));
        if (nodeFollows) return ReadBlockNode(indent, anchor, NodePlace.OwnLine);
        if (anchor is not null) throw Decline("an anchor on an empty value");
        return new YamlScalar("", true, emptyLocation);
    }

    private T Remember<T>(PendingAnchor? anchor, T node) where T : YamlNode
    {
        if (anchor is not null) _anchors[anchor.Name] = node;
        return node;
    }

    private void Enter()
    {
        if (++_depth > YamlTreeLoader.MaxDepth) throw Decline("nesting deeper than the limit");
    }

    private static bool IsNullPlain(string value) => value is "" or "~" or "null" or "Null" or "NULL";

    /// <summary>Thrown to give up on the text; caught in <see cref="TryRead(string, out string?)"/> only.</summary>
    private sealed class DeclinedException(string reason) : Exception(reason);

    private DeclinedException Decline(string reason) => new($"{reason} at {Here}");
}
