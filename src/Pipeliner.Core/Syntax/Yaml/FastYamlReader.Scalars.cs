using System.Buffers;
using System.Text;

namespace Pipeliner.Core.Syntax.Yaml;

/// <summary>Plain, quoted and block scalars, anchors and aliases, as YamlDotNet's scanner reads them.</summary>
internal sealed partial class FastYamlReader
{
    private const string Indicators = "-?:,[]{}#&*!|>'\"%@`";

    private static readonly SearchValues<char> BlockPlainStops = SearchValues.Create(" \t\r\n:");
    private static readonly SearchValues<char> FlowPlainStops = SearchValues.Create(" \t\r\n:,[]{}");
    private static readonly SearchValues<char> SingleQuotedStops = SearchValues.Create("'\r\n");
    private static readonly SearchValues<char> DoubleQuotedStops = SearchValues.Create("\"\\\r\n");

    /// <summary>Whether a plain scalar may start here; of the indicators only '-' may, before a non-blank.</summary>
    private bool CanStartPlainScalar(char c) =>
        !IsBlank(c) && (!Indicators.Contains(c) || (c == '-' && !IsBlank(Peek(1))));

    /// <summary>As <see cref="CanStartPlainScalar"/>; YamlDotNet rejects "-" before a flow indicator.</summary>
    private bool CanStartPlainScalarInFlow(char c) =>
        CanStartPlainScalar(c) && (c != '-' || Peek(1) is not (',' or '[' or ']' or '{' or '}'));

    /// <summary>
    /// Reads the words of a plain scalar on the current line and returns where its text ends. Stops at ": " (then
    /// <paramref name="endsAtColon"/>), at a comment after a space, at the line's end and, in a flow, at ",[]{}".
    /// </summary>
    /// <param name="isKeyAtIndent">
    /// A key at its mapping's column, which YamlDotNet requires to be a key. Elsewhere YamlDotNet reads a word that
    /// starts with '*' as a possible alias: a ':' inside it does not end the scalar ("a *b: c" is one value).
    /// </param>
    private int ScanPlainLine(bool inFlow, bool isKeyAtIndent, out bool endsAtColon)
    {
        var contentEnd = _pos;
        while (true)
        {
            var colonEndsWord = isKeyAtIndent || Peek() != '*';
            while (true)
            {
                var stop = _text.AsSpan(_pos).IndexOfAny(inFlow ? FlowPlainStops : BlockPlainStops);
                _pos = stop < 0 ? _text.Length : _pos + stop;
                if (stop != 0) contentEnd = _pos;
                var stopper = Peek();
                if (stopper == ':')
                {
                    if (colonEndsWord && (IsBlank(Peek(1)) || (inFlow && Peek(1) == ',')))
                    {
                        endsAtColon = true;
                        return contentEnd;
                    }

                    _pos++;
                    contentEnd = _pos;
                    continue;
                }

                if (inFlow && stopper is ',' or '[' or ']' or '{' or '}')
                {
                    endsAtColon = false;
                    return contentEnd;
                }

                break;
            }

            SkipSpaces();
            var c = Peek();
            if (c == '#' || IsBreak(c) || c == End)
            {
                endsAtColon = false;
                return contentEnd;
            }
        }
    }

    /// <summary>
    /// Reads a plain scalar in the block context. It goes on over the following lines indented past the parent
    /// collection (<paramref name="parentIndent"/>), folded: one line break becomes a space, n breaks n - 1 newlines.
    /// </summary>
    private string ReadPlainInBlock(int parentIndent, out bool endsAtColon, out bool multiLine)
    {
        var continuationColumn = parentIndent + 1;
        var segmentStart = _pos;
        StringBuilder? folded = null;
        multiLine = false;
        while (true)
        {
            var contentEnd = ScanPlainLine(inFlow: false, isKeyAtIndent: false, out endsAtColon);
            // A top-level value: YamlDotNet also checks document markers and comments between scalars there.
            if (!endsAtColon && parentIndent < 0) throw Decline("a plain scalar at the top level");
            if (!endsAtColon && IsBreak(Peek()))
            {
                var breaks = 0;
                do
                {
                    ConsumeBreak();
                    breaks++;
                    SkipSpaces();
                } while (IsBreak(Peek()));

                if (!AtEnd && Column >= continuationColumn && Peek() != '#')
                {
                    multiLine = true;
                    folded ??= _builder.Clear();
                    folded.Append(_text, segmentStart, contentEnd - segmentStart);
                    if (breaks == 1) folded.Append(' ');
                    else folded.Append('\n', breaks - 1);
                    segmentStart = _pos;
                    continue;
                }
            }

            if (folded is null) return Slice(segmentStart, contentEnd);
            return folded.Append(_text, segmentStart, contentEnd - segmentStart).ToString();
        }
    }

    /// <summary>A plain scalar in a flow collection, on one line (YamlDotNet's checks for more are left to it).</summary>
    private string ReadPlainInFlow()
    {
        var start = _pos;
        var contentEnd = ScanPlainLine(inFlow: true, isKeyAtIndent: false, out _);
        if (IsBreak(Peek()))
        {
            var next = _pos;
            while (next < _text.Length && _text[next] is ' ' or '\r' or '\n') next++;
            var c = next < _text.Length ? _text[next] : End;
            var ends = c is ',' or ']' or '}' or '#' or End ||
                       (c == ':' && (next + 1 >= _text.Length || IsBlank(_text[next + 1])));
            if (!ends) throw Decline("a plain scalar over several lines in a flow collection");
        }

        return Slice(start, contentEnd);
    }

    /// <summary>A single- or double-quoted scalar on one line, escapes decoded.</summary>
    private string ReadQuoted()
    {
        var quote = Peek();
        var isSingle = quote == '\'';
        _pos++;
        var segmentStart = _pos;
        StringBuilder? value = null;
        while (true)
        {
            var offset = _text.AsSpan(_pos).IndexOfAny(isSingle ? SingleQuotedStops : DoubleQuotedStops);
            if (offset < 0) throw Decline("an unclosed quote");
            _pos += offset;
            var c = Peek();
            if (IsBreak(c)) throw Decline("a quoted scalar over several lines");
            if (c == quote && !(isSingle && Peek(1) == '\''))
            {
                var text = value is null
                    ? Slice(segmentStart, _pos)
                    : value.Append(_text, segmentStart, _pos - segmentStart).ToString();
                _pos++;
                return text;
            }

            value ??= _builder.Clear();
            value.Append(_text, segmentStart, _pos - segmentStart);
            if (isSingle)
            {
                value.Append('\'');
                _pos += 2;
            }
            else
            {
                AppendEscape(value);
            }

            segmentStart = _pos;
        }
    }

    private void AppendEscape(StringBuilder value)
    {
        var code = Peek(1);
        var hexDigits = code switch { 'x' => 2, 'u' => 4, 'U' => 8, _ => 0 };
        if (hexDigits == 0)
        {
            value.Append(SimpleEscape(code) ?? throw Decline($"the escape '\\{code}'"));
            _pos += 2;
            return;
        }

        _pos += 2;
        long character = 0;
        for (var i = 0; i < hexDigits; i++)
        {
            var digit = HexValue(Peek(i));
            if (digit < 0) throw Decline("an escape without its hexadecimal digits");
            character = (character << 4) + digit;
        }

        // Surrogates written as two escapes and values past Unicode are YamlDotNet's to judge.
        if (character is >= 0xD800 and <= 0xDFFF or > 0x10FFFF) throw Decline("an escaped surrogate or non-character");
        _pos += hexDigits;
        value.Append(char.ConvertFromUtf32((int)character));
    }

    private static char? SimpleEscape(char code) => code switch
    {
        '0' => '\0',
        'a' => '\a',
        'b' => '\b',
        't' or '\t' => '\t',
        'n' => '\n',
        'v' => '\v',
        'f' => '\f',
        'r' => '\r',
        'e' => '\x1B',
        ' ' => ' ',
        '"' => '"',
        '\\' => '\\',
        '/' => '/',
        'N' => '\u0085',
        '_' => '\u00A0',
        'L' => '\u2028',
        'P' => '\u2029',
        _ => null,
    };

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    private PendingAnchor ReadAnchor()
    {
        var location = Here;
        var line = _line;
        var name = ReadAnchorName(inFlow: false);
        return new PendingAnchor(name, location, line);
    }

    private YamlNode ReadAlias(bool inFlow = false)
    {
        var name = ReadAnchorName(inFlow);
        return _anchors.TryGetValue(name, out var node) ? node : throw Decline($"the alias '*{name}' with no anchor before it");
    }

    /// <summary>Reads "&amp;name" or "*name"; names other than letters, digits, '-' and '_' are declined.</summary>
    private string ReadAnchorName(bool inFlow)
    {
        _pos++;
        var start = _pos;
        while (Peek() is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-' or '_') _pos++;
        var next = Peek();
        if (_pos == start || !(IsBlank(next) || (inFlow && next is ',' or ']' or '}')))
            throw Decline("an anchor or alias name with other characters");
        return _text.Substring(start, _pos - start);
    }
}
