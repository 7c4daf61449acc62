using System.Globalization;
using System.Text.RegularExpressions;

namespace Pipeliner.Core.Model;

/// <summary>Durations written as <c>30s</c>, <c>5m</c>, <c>1h30m</c>, <c>2d</c>: units in descending order.</summary>
public static partial class DurationText
{
    [GeneratedRegex(@"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Syntax();

    public static bool TryParse(string text, out TimeSpan duration, out string? error)
    {
        duration = default;
        var match = Syntax().Match(text.Trim());
        if (text.Trim().Length == 0 || !match.Success)
        {
            error = $"invalid duration '{text}': write a number with a unit, e.g. 30s, 5m, 1h30m or 2d";
            return false;
        }

        try
        {
            checked
            {
                long seconds = 0;
                long[] unitSeconds = [86400, 3600, 60, 1];
                for (var group = 1; group <= 4; group++)
                {
                    if (match.Groups[group].Success)
                        seconds += long.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture) * unitSeconds[group - 1];
                }

                if (seconds == 0)
                {
                    error = $"invalid duration '{text}': it must be longer than zero";
                    return false;
                }

                if (seconds > TimeSpan.FromDays(365).TotalSeconds)
                {
                    error = $"invalid duration '{text}': at most 365d";
                    return false;
                }

                duration = TimeSpan.FromSeconds(seconds);
                error = null;
                return true;
            }
        }
        catch (Exception e) when (e is OverflowException or FormatException)
        {
            error = $"invalid duration '{text}': the number is too large";
            return false;
        }
    }

    /// <summary>The shortest text that parses back to <paramref name="duration"/>, e.g. <c>1h30m</c>.</summary>
    public static string Format(TimeSpan duration)
    {
        var parts = new List<string>();
        if (duration.Days > 0) parts.Add($"{duration.Days}d");
        if (duration.Hours > 0) parts.Add($"{duration.Hours}h");
        if (duration.Minutes > 0) parts.Add($"{duration.Minutes}m");
        if (duration.Seconds > 0 || parts.Count == 0) parts.Add($"{duration.Seconds}s");
        return string.Concat(parts);
    }
}
