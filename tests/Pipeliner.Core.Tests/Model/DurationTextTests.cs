using Pipeliner.Core.Model;

namespace Pipeliner.Core.Tests.Model;

public class DurationTextTests
{
    [Theory]
    [InlineData("30s", 30)]
    [InlineData("5m", 300)]
    [InlineData("1h", 3600)]
    [InlineData("1h30m", 5400)]
    [InlineData("2d", 172800)]
    [InlineData("1d2h3m4s", 93784)]
    [InlineData("90m", 5400)]
    [InlineData(" 10m ", 600)]
    [InlineData("365d", 31536000)]
    public void TryParse_ReturnsSeconds_WhenTextIsAValidDuration(string text, int seconds)
    {
        Assert.True(DurationText.TryParse(text, out var duration, out var error));
        Assert.Null(error);
        Assert.Equal(TimeSpan.FromSeconds(seconds), duration);
    }

    [Theory]
    [InlineData("", "write a number with a unit")]
    [InlineData("   ", "write a number with a unit")]
    [InlineData("10", "write a number with a unit")]
    [InlineData("5x", "write a number with a unit")]
    [InlineData("5M", "write a number with a unit")]
    [InlineData("1.5h", "write a number with a unit")]
    [InlineData("-5m", "write a number with a unit")]
    [InlineData("30m1h", "write a number with a unit")]
    [InlineData("1h 30m", "write a number with a unit")]
    [InlineData("0s", "it must be longer than zero")]
    [InlineData("0h0m", "it must be longer than zero")]
    [InlineData("366d", "at most 365d")]
    [InlineData("99999999999999999999d", "the number is too large")]
    [InlineData("9999999999999999d", "the number is too large")]
    public void TryParse_ReturnsFalseWithReason_WhenTextIsNotAValidDuration(string text, string reason)
    {
        Assert.False(DurationText.TryParse(text, out _, out var error));
        Assert.NotNull(error);
        Assert.StartsWith($"invalid duration '{text}': ", error, StringComparison.Ordinal);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(30, "30s")]
    [InlineData(300, "5m")]
    [InlineData(5400, "1h30m")]
    [InlineData(93784, "1d2h3m4s")]
    [InlineData(0, "0s")]
    public void Format_WritesTheShortestText_WhenGivenADuration(int seconds, string expected)
    {
        Assert.Equal(expected, DurationText.Format(TimeSpan.FromSeconds(seconds)));
    }

    [Theory]
    [InlineData("1h30m")]
    [InlineData("2d12h")]
    [InlineData("45s")]
    public void Format_RoundTripsThroughTryParse_WhenGivenAParsedDuration(string text)
    {
        Assert.True(DurationText.TryParse(text, out var duration, out _));
        Assert.Equal(text, DurationText.Format(duration));
    }
}
