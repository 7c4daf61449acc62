using System.Text;
using Pipeliner.Engine.Logging;
using Pipeliner.Engine.Secrets;
using Pipeliner.TestSupport.Secrets;

namespace Pipeliner.Engine.Tests.Secrets;

/// <summary>Every output form of the corpus, cut at every chunk boundary, on the write path and on the read path.</summary>
public sealed class MaskingCorpusTests
{
    private static readonly SecretMasker Masker = new(SecretOutputCorpus.Secrets.Values);

    public static TheoryData<SecretOutputForm> Forms => new(SecretOutputCorpus.Forms);

    [Theory]
    [MemberData(nameof(Forms))]
    public void Find_SeesTheSecret_WhenTheFormIsNotMasked(SecretOutputForm form)
    {
        // The oracle of these tests finds every form of the corpus in unmasked output: the tests below can fail.
        Assert.NotEmpty(SecretLeaks.Find(Encoding.UTF8.GetString(form.Output), SecretOutputCorpus.Secrets.Values));
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public void Append_StoresNoFormOfASecret_WhenTheOutputIsCutAtEveryByte(SecretOutputForm form)
    {
        var output = WithMarker(form.Output);
        for (var split = 0; split <= output.Length; split++)
        {
            var lines = new List<string>();
            var assembler = new LogLineAssembler(Masker);
            assembler.Append(output.AsSpan(0, split), l => lines.Add(Encoding.UTF8.GetString(l)));
            assembler.Append(output.AsSpan(split), l => lines.Add(Encoding.UTF8.GetString(l)));
            assembler.Flush(l => lines.Add(Encoding.UTF8.GetString(l)));

            AssertMasked(form, lines, $"cut at byte {split}");
        }
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public void Append_StoresNoFormOfASecret_WhenTheOutputComesOneByteAtATime(SecretOutputForm form)
    {
        var lines = new List<string>();
        var assembler = new LogLineAssembler(Masker);
        foreach (var b in WithMarker(form.Output)) assembler.Append([b], l => lines.Add(Encoding.UTF8.GetString(l)));
        assembler.Flush(l => lines.Add(Encoding.UTF8.GetString(l)));

        AssertMasked(form, lines, "one byte at a time");
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public void Read_ReturnsNoFormOfASecret_WhenTheStoredLogHoldsItUnmasked(SecretOutputForm form)
    {
        // A log stored before the secret was set: only the read path can mask it.
        var stored = Stored(WithMarker(form.Output));
        var whole = ReadRange(stored, 0, stored.Length);

        Assert.Equal(stored.Length, whole.Length);
        AssertMasked(form, Texts(whole), "read whole");
        for (var start = 0; start < stored.Length; start++)
        {
            foreach (var length in new[] { 1, 9, 40, stored.Length - start })
            {
                var end = Math.Min(stored.Length, start + length);
                Assert.Equal(whole[start..end], ReadRange(stored, start, end - start));
            }
        }
    }

    [Fact]
    public void Read_MasksAValueCutByTheRange_WhenTheRangeStartsFarIntoALog()
    {
        var filler = string.Concat(Enumerable.Range(0, 3000).Select(i => $"ordinary line {i} {new string('o', 60)}\n"));
        var forms = string.Concat(SecretOutputCorpus.Forms.Select(f => Encoding.UTF8.GetString(f.Output)));
        var stored = Stored(Encoding.UTF8.GetBytes(filler + forms + "the end\n"));
        var formsStart = Stored(Encoding.UTF8.GetBytes(filler)).Length;
        var whole = ReadRange(stored, 0, stored.Length);

        Assert.Empty(SecretLeaks.Find(Encoding.UTF8.GetString(whole), SecretOutputCorpus.Secrets.Values));
        for (var start = formsStart - 50; start < stored.Length; start += 13)
        {
            var range = ReadRange(stored, start, Math.Min(100, stored.Length - start));
            Assert.Equal(whole.AsSpan(start, range.Length).ToArray(), range);
        }
    }

    [Fact]
    public void Read_LeavesTheLogByteForByte_WhenItHoldsNoSecret()
    {
        var stored = Stored("first\n\u001b[1mbold\u001b[0m\r\nlast without newline"u8.ToArray());

        Assert.Equal(stored, ReadRange(stored, 0, stored.Length));
        Assert.Equal(stored[3..20], ReadRange(stored, 3, 17));
    }

    private static void AssertMasked(SecretOutputForm form, List<string> lines, string how)
    {
        var text = string.Join('\n', lines);
        var leaks = SecretLeaks.Find(text, SecretOutputCorpus.Secrets.Values);
        Assert.True(leaks.Count == 0, $"{form.Name}, {how}: {string.Join("; ", leaks)}\n{text}");
        Assert.True(lines.Count(l => l.EndsWith(SecretOutputCorpus.Marker, StringComparison.Ordinal)) == 1,
            $"{form.Name}, {how}: the ordinary line after it is not intact\n{text}");
    }

    private static byte[] WithMarker(byte[] output) => [.. output, .. Encoding.UTF8.GetBytes(SecretOutputCorpus.Marker + "\n")];

    /// <summary>The output as the log writer stores it (one timestamped line per line), without masking.</summary>
    private static byte[] Stored(byte[] output)
    {
        var text = Encoding.UTF8.GetString(output);
        var lines = text.Split('\n');
        var stored = new StringBuilder();
        for (var i = 0; i < lines.Length; i++)
        {
            if (i == lines.Length - 1 && lines[i].Length == 0) break;
            stored.Append("2026-12-04T10:00:00.000Z ").Append(lines[i]);
            if (i < lines.Length - 1) stored.Append('\n');
        }

        return Encoding.UTF8.GetBytes(stored.ToString());
    }

    private static byte[] ReadRange(byte[] stored, long start, long length)
    {
        using var stream = new MaskedLogStream(new MemoryStream(stored), Masker, start, length);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static List<string> Texts(byte[] stored) =>
        Encoding.UTF8.GetString(stored).Split('\n').Select(l => l.Length > 25 && l[23] == 'Z' ? l[25..] : l).ToList();
}
