namespace Pipeliner.Core.Model;

/// <summary>
/// One '/'-separated part of a glob: <c>**</c>, or a sequence of tokens (literal, <c>?</c>, <c>*</c>, class).
/// Matching uses the classic two-pointer method with one remembered star, at both levels.
/// </summary>
internal sealed class GlobSegment
{
    private readonly Token[] _tokens;

    private GlobSegment(Token[] tokens, bool isDoubleStar)
    {
        _tokens = tokens;
        IsDoubleStar = isDoubleStar;
    }

    public bool IsDoubleStar { get; }

    public static GlobSegment? Parse(string text, out string? error)
    {
        error = null;
        if (text == "**") return new GlobSegment([], isDoubleStar: true);
        var tokens = new List<Token>();
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '\\':
                    tokens.Add(Token.Literal(text[++i]));
                    break;
                case '*':
                    if (tokens.Count == 0 || tokens[^1].Kind != TokenKind.Star) tokens.Add(Token.Star);
                    break;
                case '?':
                    tokens.Add(Token.Any);
                    break;
                case '[':
                    var end = GlobBraces.ClassEnd(text, i);
                    var token = Token.Class(text[(i + 1)..end], out error);
                    if (token is null) return null;
                    tokens.Add(token);
                    i = end;
                    break;
                default:
                    tokens.Add(Token.Literal(text[i]));
                    break;
            }
        }

        return new GlobSegment([.. tokens], isDoubleStar: false);
    }

    public static bool MatchPath(GlobSegment[] pattern, string[] path)
    {
        int p = 0, s = 0, starP = -1, starS = 0;
        while (s < path.Length)
        {
            if (p < pattern.Length && pattern[p].IsDoubleStar)
            {
                starP = p++;
                starS = s;
            }
            else if (p < pattern.Length && pattern[p].Match(path[s]))
            {
                p++;
                s++;
            }
            else if (starP >= 0)
            {
                p = starP + 1;
                s = ++starS;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p].IsDoubleStar) p++;
        return p == pattern.Length;
    }

    private bool Match(string text)
    {
        int t = 0, c = 0, starT = -1, starC = 0;
        while (c < text.Length)
        {
            if (t < _tokens.Length && _tokens[t].Kind == TokenKind.Star)
            {
                starT = t++;
                starC = c;
            }
            else if (t < _tokens.Length && _tokens[t].Matches(text[c]))
            {
                t++;
                c++;
            }
            else if (starT >= 0)
            {
                t = starT + 1;
                c = ++starC;
            }
            else
            {
                return false;
            }
        }

        while (t < _tokens.Length && _tokens[t].Kind == TokenKind.Star) t++;
        return t == _tokens.Length;
    }

    private enum TokenKind
    {
        Literal,
        Any,
        Star,
        Class,
    }

    private sealed record Token(TokenKind Kind, char Char, bool Negated, (char Low, char High)[] Ranges)
    {
        public static readonly Token Star = new(TokenKind.Star, '\0', false, []);
        public static readonly Token Any = new(TokenKind.Any, '\0', false, []);

        public static Token Literal(char c) => new(TokenKind.Literal, c, false, []);

        /// <summary>A class from the text between '[' and ']'.</summary>
        public static Token? Class(string body, out string? error)
        {
            error = null;
            var negated = body.Length > 0 && body[0] is '!' or '^';
            var i = negated ? 1 : 0;
            var ranges = new List<(char, char)>();
            while (i < body.Length)
            {
                var low = body[i] == '\\' ? body[++i] : body[i];
                i++;
                var high = low;
                if (i + 1 < body.Length && body[i] == '-')
                {
                    high = body[i + 1] == '\\' && i + 2 < body.Length ? body[i + 2] : body[i + 1];
                    i += body[i + 1] == '\\' ? 3 : 2;
                    if (high < low)
                    {
                        error = "a range in '[...]' runs backwards";
                        return null;
                    }
                }

                ranges.Add((low, high));
            }

            return new Token(TokenKind.Class, '\0', negated, [.. ranges]);
        }

        public bool Matches(char c) => Kind switch
        {
            TokenKind.Literal => c == Char,
            TokenKind.Any => c != '/',
            TokenKind.Class => c != '/' && Ranges.Any(r => c >= r.Low && c <= r.High) != Negated,
            _ => false,
        };
    }
}
