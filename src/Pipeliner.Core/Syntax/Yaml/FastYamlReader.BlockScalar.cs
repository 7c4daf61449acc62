using Pipeliner.Core.Diagnostics;

namespace Pipeliner.Core.Syntax.Yaml;

/// <summary>Literal (|) and folded (&gt;) block scalars, ported from YamlDotNet's ScanBlockScalar.</summary>
internal sealed partial class FastYamlReader
{
    /// <param name="parentIndent">The column of the enclosing mapping's keys or list's '-'.</param>
    private YamlScalar ReadBlockScalar(int parentIndent, SourceLocation location)
    {
        var isLiteral = Peek() == '|';
        _pos++;
        var (chomping, increment) = ReadBlockScalarHeader();

        // The first line: YamlDotNet's handling of leading empty lines has special cases, so they are declined.
        var indentation = 0;
        while (Peek(indentation) == ' ') indentation++;
        var first = Peek(indentation);
        if (IsBreak(first) || first is End or '\t') throw Decline("a block scalar starting with an empty line or a tab");
        var contentIndent = increment != 0
            ? (parentIndent >= 0 ? parentIndent + increment : increment)
            : Math.Max(indentation, Math.Max(parentIndent + 1, 1));
        if (indentation < contentIndent) throw Decline("an empty block scalar");
        _pos += contentIndent;

        var value = _builder.Clear();
        var leadingBreak = false;
        var trailingBreaks = 0;
        var leadingBlank = false;
        while (true)
        {
            // At a content line, at the content indentation.
            var trailingBlank = Peek() is ' ' or '\t';
            if (!isLiteral && leadingBreak && !leadingBlank && !trailingBlank)
            {
                if (trailingBreaks == 0) value.Append(' ');
            }
            else if (leadingBreak)
            {
                value.Append('\n');
            }

            leadingBreak = false;
            value.Append('\n', trailingBreaks);
            trailingBreaks = 0;
            leadingBlank = trailingBlank;

            var lineLength = _text.AsSpan(_pos).IndexOfAny('\n', '\r');
            if (lineLength < 0) lineLength = _text.Length - _pos;
            value.Append(_text, _pos, lineLength);
            _pos += lineLength;
            if (AtEnd) break;
            ConsumeBreak();
            leadingBreak = true;

            while (true)
            {
                while (Column < contentIndent && Peek() == ' ') _pos++;
                if (!IsBreak(Peek())) break;
                ConsumeBreak();
                trailingBreaks++;
            }

            if (AtEnd) break;
            if (Column < contentIndent)
            {
                if (Peek() == '\t') throw Decline("a tab in a block scalar's indentation");
                break;
            }
        }

        if (chomping != -1 && leadingBreak) value.Append('\n');
        if (chomping == 1) value.Append('\n', trailingBreaks);
        return new YamlScalar(value.ToString(), false, location);
    }

    /// <summary>Reads the chomping (-1 strip, 0 clip, +1 keep) and indentation indicators and the rest of the line.</summary>
    private (int Chomping, int Increment) ReadBlockScalarHeader()
    {
        int chomping = 0, increment = 0;
        if (Peek() is '+' or '-')
        {
            chomping = Peek() == '+' ? 1 : -1;
            _pos++;
            if (Peek() is >= '1' and <= '9') increment = Peek() - '0';
            if (increment != 0) _pos++;
        }
        else if (Peek() is >= '1' and <= '9')
        {
            increment = Peek() - '0';
            _pos++;
            if (Peek() is '+' or '-')
            {
                chomping = Peek() == '+' ? 1 : -1;
                _pos++;
            }
        }

        if (Peek() is '#' or '0') throw Decline("a block scalar header that YamlDotNet rejects");
        SkipSpaces();
        if (Peek() == '#' && _text[_pos - 1] == ' ') SkipComment();
        if (!IsBreak(Peek())) throw Decline("text after a block scalar header, or no content");
        ConsumeBreak();
        return (chomping, increment);
    }
}
