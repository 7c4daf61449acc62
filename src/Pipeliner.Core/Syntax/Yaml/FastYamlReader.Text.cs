using Pipeliner.Core.Diagnostics;

namespace Pipeliner.Core.Syntax.Yaml;

/// <summary>Moving through the text: characters, line breaks, spaces and comments.</summary>
internal sealed partial class FastYamlReader
{
    /// <summary>Short plain values (keys, stage names, images) recur; each distinct one is allocated once.</summary>
    private const int LongestSharedString = 32;

    private readonly Dictionary<string, string> _strings;
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _stringLookup;

    private bool AtEnd => _pos >= _text.Length;

    /// <summary>The 0-based column, counted in UTF-16 characters as YamlDotNet does.</summary>
    private int Column => _pos - _lineStart;

    private SourceLocation Here => new(_line, Column + 1);

    /// <summary>The character at the offset, or <see cref="End"/> past the end (the text holds no NUL).</summary>
    private char Peek(int offset = 0)
    {
        var index = _pos + offset;
        return (uint)index < (uint)_text.Length ? _text[index] : End;
    }

    private static bool IsBreak(char c) => c is '\n' or '\r';

    /// <summary>A space, tab, line break or the end: what ends a token.</summary>
    private static bool IsBlank(char c) => c is ' ' or '\t' or '\n' or '\r' or End;

    private bool IsBlockEntry() => Peek() == '-' && IsBlank(Peek(1));

    private bool IsValueIndicator() => Peek() == ':' && IsBlank(Peek(1));

    private bool IsDocumentMarker(char marker) =>
        Column == 0 && Peek() == marker && Peek(1) == marker && Peek(2) == marker && IsBlank(Peek(3));

    private void ConsumeBreak()
    {
        if (Peek() == '\r')
        {
            if (Peek(1) != '\n') throw Decline("a carriage return without a line feed");
            _pos++;
        }

        _pos++;
        _line++;
        _lineStart = _pos;
    }

    /// <summary>Skips spaces on the line. Tabs are declined: YamlDotNet's rules for them depend on the context.</summary>
    private void SkipSpaces()
    {
        while (Peek() == ' ') _pos++;
        if (Peek() == '\t') throw Decline("a tab");
    }

    /// <summary>At a line break, the end, or a comment (which YamlDotNet's rules make start after a space).</summary>
    private bool AtLineEnd()
    {
        var c = Peek();
        return IsBreak(c) || c == End || (c == '#' && (Column == 0 || _text[_pos - 1] == ' '));
    }

    private void ExpectLineEnd()
    {
        SkipSpaces();
        if (!AtLineEnd()) throw Decline($"'{Peek()}' after a node on its line");
    }

    private void SkipComment()
    {
        var rest = _text.AsSpan(_pos);
        var lineEnd = rest.IndexOfAny('\n', '\r');
        _pos = lineEnd < 0 ? _text.Length : _pos + lineEnd;
    }

    /// <summary>Skips spaces, comments and line breaks up to the next token or the end; answers whether it crossed a line.</summary>
    private bool SkipToNextToken()
    {
        var crossedLine = false;
        while (true)
        {
            SkipSpaces();
            var c = Peek();
            if (c == '#')
            {
                if (!AtLineEnd()) throw Decline("a '#' right after a token");
                SkipComment();
                c = Peek();
            }

            if (!IsBreak(c)) return crossedLine;
            ConsumeBreak();
            crossedLine = true;
        }
    }

    private string Slice(int start, int end)
    {
        var span = _text.AsSpan(start, end - start);
        if (span.Length > LongestSharedString) return span.ToString();
        if (_stringLookup.TryGetValue(span, out var shared)) return shared;
        var value = span.ToString();
        _strings.Add(value, value);
        return value;
    }
}
