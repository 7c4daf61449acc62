using System.Buffers;
using System.Text;
using Pipeliner.Engine.Logging;

namespace Pipeliner.Engine.Tests.Logging;

public sealed class SecretMaskerTests
{
    [Fact]
    public void Mask_ReplacesEveryOccurrence_WhenTextContainsTheValue()
    {
        var masker = new SecretMasker(["hunter2-xyz"]);

        Assert.Equal("a *** b *** c", masker.Mask("a hunter2-xyz b hunter2-xyz c"));
    }

    [Fact]
    public void Mask_LeavesTextAlone_WhenNoSecretOccurs()
    {
        var masker = new SecretMasker(["hunter2-xyz"]);

        Assert.Equal("nothing to see", masker.Mask("nothing to see"));
        Assert.False(masker.Contains("nothing to see"u8));
    }

    [Fact]
    public void Constructor_IgnoresEmptyValues_WhenGivenThem()
    {
        var masker = new SecretMasker(["", ""]);

        Assert.True(masker.IsEmpty);
        Assert.Equal("text", masker.Mask("text"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("ab")]
    [InlineData("abc")]
    public void Mask_HidesBase64Form_WhenValueIsEncodedAtAnyAlignment(string before)
    {
        const string secret = "correct horse battery staple";
        var masker = new SecretMasker([secret]);
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(before + secret + " and after"));

        var masked = masker.Mask(encoded);

        Assert.Contains("***", masked);
        Assert.DoesNotContain(Base64Core(secret, before.Length % 3), masked);
    }

    [Fact]
    public void Mask_HidesOutputOfEchoPipedToBase64_WhenItEndsWithNewline()
    {
        const string secret = "p4ssw0rd-for-prod";
        var masker = new SecretMasker([secret]);
        // What `echo $SECRET | base64` prints: the value and echo's newline, encoded.
        var echoed = Convert.ToBase64String(Encoding.UTF8.GetBytes(secret + "\n"));

        var masked = masker.Mask(echoed);

        Assert.StartsWith("***", masked);
        Assert.True(masked.Length <= "***".Length + 4, $"'{masked}' keeps more than the trailing characters mixed with the newline");
    }

    [Fact]
    public void Mask_HidesEachLine_WhenSecretHasSeveralLines()
    {
        var masker = new SecretMasker(["-----BEGIN KEY-----\nMIIEowIBAAKCAQEA\r\nqhkiG9w0BAQEFAAOC\n-----END KEY-----"]);

        Assert.Equal("***", masker.Mask("MIIEowIBAAKCAQEA"));
        Assert.Equal("line: ***", masker.Mask("line: qhkiG9w0BAQEFAAOC"));
        Assert.Equal("***", masker.Mask("-----END KEY-----"));
    }

    [Fact]
    public void Mask_LeavesOrdinaryText_WhenMultiLineSecretHasShortLines()
    {
        var masker = new SecretMasker(["ok\nlong-enough-line"]);

        Assert.Equal("ok then", masker.Mask("ok then"));
        Assert.Equal("***", masker.Mask("long-enough-line"));
    }

    [Fact]
    public void Mask_PrefersLongestValue_WhenOneSecretStartsWithAnother()
    {
        var masker = new SecretMasker(["abc123", "abc123456789"]);

        Assert.Equal("x *** y", masker.Mask("x abc123456789 y"));
        Assert.Equal("x *** y", masker.Mask("x abc123 y"));
    }

    [Fact]
    public void Mask_PrefersLongestValue_WhenOneSecretContainsAnother()
    {
        var masker = new SecretMasker(["middle", "the-middle-part"]);

        Assert.Equal("[***]", masker.Mask("[the-middle-part]"));
    }

    [Fact]
    public void Mask_HandlesMultiByteCharacters_WhenSecretIsNotAscii()
    {
        var masker = new SecretMasker(["пароль-ключ"]);

        Assert.Equal("→ *** ←", masker.Mask("→ пароль-ключ ←"));
    }

    [Fact]
    public void LongestPatternBytes_CoversBase64Form_WhenItIsLongerThanTheValue()
    {
        const string secret = "0123456789abcdef";
        var masker = new SecretMasker([secret]);

        Assert.Equal(8 * secret.Length / 6, masker.LongestPatternBytes);
    }

    /// <summary>The base64 characters that only depend on the secret's bytes, at the given alignment.</summary>
    private static string Base64Core(string secret, int offset)
    {
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(new string('x', offset) + secret));
        return encoded[((8 * offset + 5) / 6)..(8 * (offset + Encoding.UTF8.GetByteCount(secret)) / 6)];
    }

    [Fact]
    public void MaskLinesInto_WritesWhatMaskIntoWritesLineByLine_WhenLinesMixPlainAndTerminalText()
    {
        var masker = new SecretMasker(["hunter2-xyz", "multi\nline-secret-part"]);
        var random = new Random(7);
        string[] pieces =
        [
            "hunter2-xyz", "hun\u001b[0mter2-xyz", "xxxxr2-xyz\rhunte", "line-secret-part", "\u001b[31mwarning\u001b[0m", "progress 50%\r",
            "plain text ", "aHVudGVyMi14eXo=", "\u001b[", "hunter2-", "é ü ", "\r", "\u001b",
        ];
        for (var batch = 0; batch < 200; batch++)
        {
            var text = new StringBuilder();
            for (var line = random.Next(1, 12); line > 0; line--)
            {
                for (var part = random.Next(0, 5); part > 0; part--) text.Append(pieces[random.Next(pieces.Length)]);
                text.Append('\n');
            }

            var bytes = Encoding.UTF8.GetBytes(text.ToString());
            var expected = new ArrayBufferWriter<byte>();
            for (var rest = bytes.AsSpan(); rest.Length > 0;)
            {
                var end = rest.IndexOf((byte)'\n');
                masker.MaskInto(rest[..end], expected);
                expected.Write("\n"u8);
                rest = rest[(end + 1)..];
            }

            var actual = new ArrayBufferWriter<byte>();
            masker.MaskLinesInto(bytes, actual);

            Assert.Equal(Encoding.UTF8.GetString(expected.WrittenSpan), Encoding.UTF8.GetString(actual.WrittenSpan));
        }
    }
}
