using System.Globalization;

namespace Pipeliner.Core.Model;

/// <summary>
/// A standard 5-field cron expression in UTC (minute hour day-of-month month day-of-week) with
/// <c>*</c>, lists, ranges, steps, month and weekday names, and the macros @hourly @daily @weekly @monthly @yearly.
/// As in Vixie cron, when both day fields are restricted a day matching either one fires.
/// </summary>
public sealed class CronSchedule
{
    private static readonly string[] MonthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    private static readonly string[] DayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    private static readonly Dictionary<string, string> Macros = new(StringComparer.OrdinalIgnoreCase)
    {
        ["@yearly"] = "0 0 1 1 *",
        ["@annually"] = "0 0 1 1 *",
        ["@monthly"] = "0 0 1 * *",
        ["@weekly"] = "0 0 * * 0",
        ["@daily"] = "0 0 * * *",
        ["@midnight"] = "0 0 * * *",
        ["@hourly"] = "0 * * * *",
    };

    private readonly ulong _minutes, _hours, _daysOfMonth, _months, _daysOfWeek;
    private readonly bool _dayOfMonthRestricted, _dayOfWeekRestricted;

    private CronSchedule(string expression, ulong[] fields, bool domRestricted, bool dowRestricted)
    {
        Expression = expression;
        (_minutes, _hours, _daysOfMonth, _months, _daysOfWeek) = (fields[0], fields[1], fields[2], fields[3], fields[4]);
        _dayOfMonthRestricted = domRestricted;
        _dayOfWeekRestricted = dowRestricted;
    }

    public string Expression { get; }

    public override string ToString() => Expression;

    public static CronSchedule? TryParse(string expression, out string? error)
    {
        var text = Macros.TryGetValue(expression.Trim(), out var expanded) ? expanded : expression.Trim();
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 5)
        {
            error = $"invalid cron expression '{expression}': expected 5 fields (minute hour day-of-month month day-of-week), got {parts.Length}";
            return null;
        }

        (string Name, int Min, int Max, string[]? Names)[] specs =
        [
            ("minute", 0, 59, null), ("hour", 0, 23, null), ("day-of-month", 1, 31, null),
            ("month", 1, 12, MonthNames), ("day-of-week", 0, 7, DayNames),
        ];
        var fields = new ulong[5];
        for (var i = 0; i < 5; i++)
        {
            var (name, min, max, names) = specs[i];
            if (!TryParseField(parts[i], min, max, names, out fields[i], out var fieldError))
            {
                error = $"invalid cron expression '{expression}': {name} field '{parts[i]}': {fieldError}";
                return null;
            }
        }

        // Sunday may be written 0 or 7.
        if ((fields[4] & (1UL << 7)) != 0) fields[4] = (fields[4] | 1UL) & ~(1UL << 7);
        // As in Vixie cron, a day field starting with '*' (such as "*/2") does not count as restricted.
        var schedule = new CronSchedule(expression.Trim(), fields, !parts[2].StartsWith('*'), !parts[4].StartsWith('*'));
        if (!schedule.CanFire())
        {
            error = $"invalid cron expression '{expression}': it never fires, no month selected has such a day";
            return null;
        }

        error = null;
        return schedule;
    }

    /// <summary>The first time strictly after <paramref name="after"/> (UTC) at which the schedule fires.</summary>
    public DateTime GetNextOccurrence(DateTime after)
    {
        var t = new DateTime(after.Year, after.Month, after.Day, after.Hour, after.Minute, 0, DateTimeKind.Utc).AddMinutes(1);
        // Rare dates are years apart: a 29th of February (2096, then 2104), or one that must also be a Sunday.
        var limit = t.AddYears(50);
        while (t < limit)
        {
            if (!Has(_months, t.Month))
            {
                t = new DateTime(t.Year, t.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(1);
                continue;
            }

            if (!DayMatches(t))
            {
                t = t.Date.AddDays(1);
                continue;
            }

            if (!Has(_hours, t.Hour))
            {
                t = t.Date.AddHours(t.Hour + 1);
                continue;
            }

            if (!Has(_minutes, t.Minute))
            {
                t = t.AddMinutes(1);
                continue;
            }

            return t;
        }

        throw new InvalidOperationException($"cron expression '{Expression}' never fires");
    }

    /// <summary>False when only impossible dates are selected, such as "0 0 30 2 *".</summary>
    private bool CanFire()
    {
        if (!_dayOfMonthRestricted || _dayOfWeekRestricted) return true;
        int[] longestMonth = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        for (var month = 1; month <= 12; month++)
        {
            for (var day = 1; Has(_months, month) && day <= longestMonth[month - 1]; day++)
            {
                if (Has(_daysOfMonth, day)) return true;
            }
        }

        return false;
    }

    private bool DayMatches(DateTime t)
    {
        var dom = Has(_daysOfMonth, t.Day);
        var dow = Has(_daysOfWeek, (int)t.DayOfWeek);
        return _dayOfMonthRestricted && _dayOfWeekRestricted ? dom || dow : dom && dow;
    }

    private static bool Has(ulong set, int value) => (set & (1UL << value)) != 0;

    private static bool TryParseField(string field, int min, int max, string[]? names, out ulong set, out string? error)
    {
        set = 0;
        foreach (var item in field.Split(','))
        {
            var stepParts = item.Split('/');
            if (stepParts.Length > 2)
            {
                error = "more than one '/'";
                return false;
            }

            var step = 1;
            if (stepParts.Length == 2 && (!int.TryParse(stepParts[1], NumberStyles.None, CultureInfo.InvariantCulture, out step) || step < 1))
            {
                error = $"step '{stepParts[1]}' must be a positive number";
                return false;
            }

            int low, high;
            var range = stepParts[0];
            if (range == "*")
            {
                (low, high) = (min, max);
            }
            else
            {
                var bounds = range.Split('-');
                if (bounds.Length > 2 || !TryValue(bounds[0], names, out low) ||
                    !TryValue(bounds[^1], names, out high))
                {
                    error = $"'{range}' is not a number{(names is null ? "" : " or name")} or range";
                    return false;
                }

                if (bounds.Length == 1 && stepParts.Length == 2) high = max; // "5/15" means from 5 to the end
            }

            if (low < min || high > max || low > high)
            {
                error = low > high && low >= min && high <= max
                    ? $"range '{range}' runs backwards"
                    : $"value out of range {min}-{max}";
                return false;
            }

            for (var v = low; v <= high; v += step) set |= 1UL << v;
        }

        error = null;
        return true;
    }

    private static bool TryValue(string text, string[]? names, out int value)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value)) return true;
        var index = names is null ? -1 : Array.IndexOf(names, text.ToUpperInvariant());
        // Month names are 1-based, weekday names 0-based.
        value = names == MonthNames ? index + 1 : index;
        return index >= 0;
    }
}
