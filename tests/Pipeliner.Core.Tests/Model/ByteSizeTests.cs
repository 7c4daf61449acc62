using Pipeliner.Core.Model;

namespace Pipeliner.Core.Tests.Model;

public class ByteSizeTests
{
    [Theory]
    [InlineData("512", 512L)]
    [InlineData("1K", 1000L)]
    [InlineData("1Ki", 1024L)]
    [InlineData("512Mi", 512L * 1024 * 1024)]
    [InlineData("500M", 500_000_000L)]
    [InlineData("1Gi", 1L << 30)]
    [InlineData("1G", 1_000_000_000L)]
    [InlineData("1.5Gi", 3L << 29)]
    [InlineData("2Ti", 2L << 40)]
    [InlineData("1T", 1_000_000_000_000L)]
    [InlineData(" 64Mi ", 64L << 20)]
    [InlineData("0", 0L)]
    public void TryParse_ReturnsBytes_WhenTextIsAValidSize(string text, long bytes)
    {
        Assert.True(ByteSize.TryParse(text, out var size, out var error));
        Assert.Null(error);
        Assert.Equal(bytes, size.Bytes);
    }

    [Theory]
    [InlineData("", "write a number with a unit")]
    [InlineData("Mi", "write a number with a unit")]
    [InlineData("512mi", "write a number with a unit")]
    [InlineData("512MB", "write a number with a unit")]
    [InlineData("512 Mi", "write a number with a unit")]
    [InlineData("-1Gi", "write a number with a unit")]
    [InlineData("1e3", "write a number with a unit")]
    [InlineData("1,5Gi", "write a number with a unit")]
    [InlineData("9999999T", "too large")]
    [InlineData("8388608Ti", "too large")]
    [InlineData("99999999999999999999999999999T", "too large")]
    [InlineData("79228162514264337593543950335Ti", "too large")]
    public void TryParse_ReturnsFalseWithReason_WhenTextIsNotAValidSize(string text, string reason)
    {
        Assert.False(ByteSize.TryParse(text, out _, out var error));
        Assert.NotNull(error);
        Assert.StartsWith($"invalid size '{text}': ", error, StringComparison.Ordinal);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(512L, "512B")]
    [InlineData(1024L, "1Ki")]
    [InlineData(64L << 20, "64Mi")]
    [InlineData(3L << 29, "1.5Gi")]
    [InlineData(2L << 40, "2Ti")]
    public void ToString_UsesBinaryUnits_WhenFormattingASize(long bytes, string expected)
    {
        Assert.Equal(expected, new ByteSize(bytes).ToString());
    }
}
