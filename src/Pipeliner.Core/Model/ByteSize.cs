using System.Globalization;
using System.Text.RegularExpressions;

namespace Pipeliner.Core.Model;

/// <summary>
/// A size in bytes, written like Kubernetes quantities: binary <c>Ki Mi Gi Ti</c> (1024-based) and decimal
/// <c>K M G T</c> (1000-based); a bare number is bytes.
/// </summary>
public readonly partial record struct ByteSize(long Bytes)
{
    private static readonly Dictionary<string, long> Units = new(StringComparer.Ordinal)
    {
        [""] = 1,
        ["K"] = 1000,
        ["M"] = 1000_000,
        ["G"] = 1000_000_000,
        ["T"] = 1000_000_000_000,
        ["Ki"] = 1L << 10,
        ["Mi"] = 1L << 20,
        ["Gi"] = 1L << 30,
        ["Ti"] = 1L << 40,
    };

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)([KMGT]i?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Syntax();

    public static bool TryParse(string text, out ByteSize size, out string? error)
    {
        size = default;
        var match = Syntax().Match(text.Trim());
        if (!match.Success)
        {
            error = $"invalid size '{text}': write a number with a unit, e.g. 512Mi, 1Gi, 500M (Ki/Mi/Gi/Ti or K/M/G/T)";
            return false;
        }

        var unit = Units[match.Groups[2].Value];
        if (!decimal.TryParse(match.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
            || number > long.MaxValue / (decimal)unit)
        {
            error = $"invalid size '{text}': too large";
            return false;
        }

        size = new ByteSize((long)(number * unit));
        error = null;
        return true;
    }

    /// <summary>Human text in binary units, e.g. <c>64Mi</c>, <c>1.5Gi</c>.</summary>
    public override string ToString()
    {
        string[] names = ["Ti", "Gi", "Mi", "Ki"];
        for (var i = 0; i < names.Length; i++)
        {
            var unit = 1L << (10 * (4 - i));
            if (Bytes >= unit)
                return (Bytes / (decimal)unit).ToString("0.##", CultureInfo.InvariantCulture) + names[i];
        }

        return Bytes.ToString(CultureInfo.InvariantCulture) + "B";
    }
}
