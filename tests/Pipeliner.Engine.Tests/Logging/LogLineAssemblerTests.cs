using System.Text;
using Pipeliner.Engine.Logging;

namespace Pipeliner.Engine.Tests.Logging;

public sealed class LogLineAssemblerTests
{
    private const string Secret = "s3cr3t-t0ken-value";
    private readonly List<string> _lines = [];

    [Fact]
    public void Append_MasksSecret_WhenSplitAcrossTwoChunksAtEveryPoint()
    {
        var text = $"before {Secret} after\n";
        for (var split = 0; split <= text.Length; split++)
        {
            _lines.Clear();
            var assembler = new LogLineAssembler(new SecretMasker([Secret]));

            assembler.Append(Bytes(text[..split]), Collect);
            assembler.Append(Bytes(text[split..]), Collect);
            assembler.Flush(Collect);

            Assert.Equal(["before *** after"], _lines);
        }
    }

    [Fact]
    public void Append_MasksSecret_WhenFedOneByteAtATime()
    {
        var assembler = new LogLineAssembler(new SecretMasker([Secret]));

        foreach (var b in Bytes($"x{Secret}y\n{Secret}\n")) assembler.Append([b], Collect);
        assembler.Flush(Collect);

        Assert.Equal(["x***y", "***"], _lines);
    }

    [Fact]
    public void Append_CutsLinesAndDropsCarriageReturn_WhenLinesEndWithCrLf()
    {
        var assembler = new LogLineAssembler(SecretMasker.None);

        assembler.Append(Bytes("one\r\ntwo\r"), Collect);
        assembler.Append(Bytes("\nthree\n\r\n"), Collect);
        assembler.Flush(Collect);

        Assert.Equal(["one", "two", "three", ""], _lines);
    }

    [Fact]
    public void Flush_EmitsLastLine_WhenStreamEndsWithoutNewline()
    {
        var assembler = new LogLineAssembler(new SecretMasker([Secret]));

        assembler.Append(Bytes("done\npartial " + Secret), Collect);
        assembler.Flush(Collect);
        assembler.Flush(Collect);

        Assert.Equal(["done", "partial ***"], _lines);
    }

    [Fact]
    public void Append_KeepsEmptyLines_WhenOutputHasThem()
    {
        var assembler = new LogLineAssembler(SecretMasker.None);

        assembler.Append(Bytes("a\n\n\nb\n"), Collect);

        Assert.Equal(["a", "", "", "b"], _lines);
    }

    [Fact]
    public void Append_MasksSecretStraddlingTheCut_WhenLineIsLongerThan64KiB()
    {
        const int limit = 64 * 1024;
        // Every offset of the secret around the cut, including the base64 form's longer pattern.
        for (var offset = -Secret.Length - 2; offset <= 2; offset++)
        {
            _lines.Clear();
            var assembler = new LogLineAssembler(new SecretMasker([Secret]));
            var filler = new string('x', limit + offset);
            var line = filler + Secret + new string('y', 10);

            assembler.Append(Bytes(filler + Secret[..(Secret.Length / 2)]), Collect);
            assembler.Append(Bytes(Secret[(Secret.Length / 2)..] + new string('y', 10)), Collect);
            assembler.Append(Bytes("\nnext\n"), Collect);
            assembler.Flush(Collect);

            var joined = string.Concat(_lines.Take(_lines.Count - 1));
            Assert.DoesNotContain(Secret[..6], joined);
            Assert.Equal(line.Replace(Secret, "***", StringComparison.Ordinal), joined);
            Assert.Equal("next", _lines[^1]);
            Assert.All(_lines, l => Assert.True(Encoding.UTF8.GetByteCount(l) <= limit + Secret.Length + 64, $"a piece of {l.Length} bytes"));
        }
    }

    [Fact]
    public void Append_CutsVeryLongLineIntoPieces_WhenItArrivesInSmallChunks()
    {
        var assembler = new LogLineAssembler(new SecretMasker([Secret]), maxLineBytes: 100);
        var line = string.Concat(Enumerable.Range(0, 40).Select(i => $"chunk{i:00}-{Secret}-"));

        for (var i = 0; i < line.Length; i += 7) assembler.Append(Bytes(line[i..Math.Min(line.Length, i + 7)]), Collect);
        assembler.Append(Bytes("\n"), Collect);

        Assert.True(_lines.Count > 5, "the long line was not cut");
        Assert.Equal(line.Replace(Secret, "***", StringComparison.Ordinal), string.Concat(_lines));
    }

    private void Collect(ReadOnlySpan<byte> line) => _lines.Add(Encoding.UTF8.GetString(line));

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
}
