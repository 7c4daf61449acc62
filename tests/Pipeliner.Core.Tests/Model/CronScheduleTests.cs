using System.Globalization;
using Pipeliner.Core.Model;

namespace Pipeliner.Core.Tests.Model;

public class CronScheduleTests
{
    [Theory]
    [InlineData("0 3 * * *", "2025-01-01T00:00", "2025-01-01T03:00")]
    [InlineData("0 3 * * *", "2025-01-01T03:00", "2025-01-02T03:00")]
    [InlineData("0 3 * * *", "2025-01-01T02:59:30", "2025-01-01T03:00")]
    [InlineData("0 3 * * *", "2025-12-31T04:00", "2026-01-01T03:00")]
    [InlineData("*/15 * * * *", "2025-01-01T10:07", "2025-01-01T10:15")]
    [InlineData("5/15 * * * *", "2025-01-01T10:21", "2025-01-01T10:35")]
    [InlineData("0,30 * * * *", "2025-01-01T10:00", "2025-01-01T10:30")]
    [InlineData("0 0 1 * *", "2025-01-15T00:00", "2025-02-01T00:00")]
    [InlineData("0 0 1 1 *", "2025-06-01T00:00", "2026-01-01T00:00")]
    [InlineData("0 12 1 jul *", "2025-01-01T00:00", "2025-07-01T12:00")]
    // 2025-01-01 is a Wednesday.
    [InlineData("0 0 * * 1", "2025-01-01T00:00", "2025-01-06T00:00")]
    [InlineData("0 0 * * 0", "2025-01-01T00:00", "2025-01-05T00:00")]
    [InlineData("0 0 * * 7", "2025-01-01T00:00", "2025-01-05T00:00")]
    [InlineData("0 0 * * SUN", "2025-01-01T00:00", "2025-01-05T00:00")]
    [InlineData("0 9-17/4 * * MON-FRI", "2025-01-03T18:00", "2025-01-06T09:00")]
    [InlineData("0 9-17/4 * * MON-FRI", "2025-01-06T09:00", "2025-01-06T13:00")]
    // Both day fields restricted: a day matching either fires (Friday the 3rd comes before the 13th).
    [InlineData("0 0 13 * 5", "2025-01-01T00:00", "2025-01-03T00:00")]
    [InlineData("0 0 13 * *", "2025-01-01T00:00", "2025-01-13T00:00")]
    // A day field starting with '*' is not restricted: the 1st, 11th, 21st or 31st that is also a Monday.
    [InlineData("0 0 */10 * 1", "2025-01-01T00:00", "2025-03-31T00:00")]
    // Macros.
    [InlineData("@hourly", "2025-01-01T10:30", "2025-01-01T11:00")]
    [InlineData("@daily", "2025-01-01T10:30", "2025-01-02T00:00")]
    [InlineData("@weekly", "2025-01-01T00:00", "2025-01-05T00:00")]
    [InlineData("@monthly", "2025-01-01T00:00", "2025-02-01T00:00")]
    [InlineData("@yearly", "2025-01-01T00:00", "2026-01-01T00:00")]
    // A 29th of February can be eight years away: 2100 is not a leap year.
    [InlineData("0 0 29 2 *", "2097-01-01T00:00", "2104-02-29T00:00")]
    public void GetNextOccurrence_ReturnsFirstFiringStrictlyAfter_WhenExpressionIsValid(string expression, string after, string expected)
    {
        var cron = CronSchedule.TryParse(expression, out var error);

        Assert.Null(error);
        Assert.NotNull(cron);
        var next = cron.GetNextOccurrence(Utc(after));
        Assert.Equal(Utc(expected), next);
        Assert.Equal(DateTimeKind.Utc, next.Kind);
    }

    [Theory]
    [InlineData("", "expected 5 fields (minute hour day-of-month month day-of-week), got 0")]
    [InlineData("* * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 4")]
    [InlineData("* * * * * *", "got 6")]
    [InlineData("@reboot", "got 1")]
    [InlineData("60 * * * *", "minute field '60': value out of range 0-59")]
    [InlineData("* 24 * * *", "hour field '24': value out of range 0-23")]
    [InlineData("* * 0 * *", "day-of-month field '0': value out of range 1-31")]
    [InlineData("* * * 13 *", "month field '13': value out of range 1-12")]
    [InlineData("* * * * 8", "day-of-week field '8': value out of range 0-7")]
    [InlineData("5-1 * * * *", "minute field '5-1': range '5-1' runs backwards")]
    [InlineData("*/0 * * * *", "minute field '*/0': step '0' must be a positive number")]
    [InlineData("*/x * * * *", "step 'x' must be a positive number")]
    [InlineData("1/2/3 * * * *", "more than one '/'")]
    [InlineData("a * * * *", "minute field 'a': 'a' is not a number or range")]
    [InlineData("* * * FOO *", "month field 'FOO': 'FOO' is not a number or name or range")]
    [InlineData("1,,2 * * * *", "'' is not a number or range")]
    [InlineData("1-2-3 * * * *", "'1-2-3' is not a number or range")]
    [InlineData("0 0 30 2 *", "it never fires")]
    [InlineData("0 0 31 4,6,9,11 *", "it never fires")]
    public void TryParse_ReturnsNullWithReason_WhenExpressionIsInvalid(string expression, string reason)
    {
        var cron = CronSchedule.TryParse(expression, out var error);

        Assert.Null(cron);
        Assert.NotNull(error);
        Assert.StartsWith($"invalid cron expression '{expression}': ", error, StringComparison.Ordinal);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0 0 30 2 1")]
    [InlineData("0 0 31 * *")]
    [InlineData("0 0 29 2 *")]
    public void TryParse_AcceptsRareDates_WhenSomeDayCanStillFire(string expression)
    {
        Assert.NotNull(CronSchedule.TryParse(expression, out var error));
        Assert.Null(error);
    }

    [Fact]
    public void Expression_KeepsTheTextAsWritten_WhenParsed()
    {
        var cron = CronSchedule.TryParse(" @daily ", out _);

        Assert.Equal("@daily", cron?.Expression);
        Assert.Equal("@daily", cron?.ToString());
    }

    private static DateTime Utc(string text) =>
        DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
}
