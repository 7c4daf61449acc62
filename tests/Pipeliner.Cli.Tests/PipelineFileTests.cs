using System.Text;
using Pipeliner.Cli.Tests.Support;

namespace Pipeliner.Cli.Tests;

/// <summary>Files that cannot be a pipeline: one line on stderr, exit 2, for both commands.</summary>
public sealed class PipelineFileTests : IDisposable
{
    private readonly TempDirectory _files = new();

    public void Dispose() => _files.Dispose();

    public static TheoryData<string> Commands => ["validate", "plan"];

    [Theory]
    [MemberData(nameof(Commands))]
    public void Command_ExitsTwoWithOneLine_WhenTheFileDoesNotExist(string command)
    {
        var path = Path.Combine(_files.Path, "missing.yml");

        AssertUnusable(command, path, $"{path}: no such file");
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Command_ExitsTwoWithOneLine_WhenThePathIsADirectory(string command)
    {
        AssertUnusable(command, _files.Path, $"{_files.Path}: is a directory, not a pipeline file");
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Command_ExitsTwoWithOneLine_WhenThePathIsEmpty(string command)
    {
        AssertUnusable(command, "", "the file name is empty");
    }

    [Theory]
    [InlineData("validate", "")]
    [InlineData("plan", "")]
    [InlineData("validate", "  \n\t\n")]
    [InlineData("validate", "\uFEFF")]
    public void Command_ExitsTwoWithOneLine_WhenTheFileIsEmpty(string command, string text)
    {
        var path = _files.Write("empty.yml", text);

        AssertUnusable(command, path, $"{path}: the file is empty");
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Command_ExitsTwoWithOneLine_WhenTheFileHoldsANulByte(string command)
    {
        var path = _files.Write("binary.yml", [.. "stages: [a]\n"u8, 0, 1, 2, 0xFF]);

        AssertUnusable(command, path, $"{path}: not a text file (a NUL byte at offset 12)");
    }

    [Theory]
    [InlineData("validate", new byte[] { 0x61, 0x3A, 0x20, 0xC3, 0x28 }, 3)]
    [InlineData("plan", new byte[] { 0x61, 0x3A, 0x20, 0xFF }, 3)]
    [InlineData("validate", new byte[] { 0xED, 0xA0, 0x80 }, 0)]
    public void Command_ExitsTwoWithOneLine_WhenTheFileIsNotUtf8(string command, byte[] bytes, int offset)
    {
        var path = _files.Write("latin1.yml", bytes);

        AssertUnusable(command, path, $"{path}: not UTF-8 text (an invalid byte at offset {offset})");
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Command_ExitsTwoWithOneLine_WhenTheFileIsLargerThanOneMebibyte(string command)
    {
        var path = _files.Write("huge.yml", PaddedPipeline(1024 * 1024 + 1));

        AssertUnusable(command, path, $"{path}: the file is larger than 1 MiB, the most a pipeline file may hold");
    }

    [Fact]
    public void Validate_ReadsTheFile_WhenItIsExactlyOneMebibyte()
    {
        var path = _files.Write("full.yml", PaddedPipeline(1024 * 1024));

        var result = PipelinerCli.Run("validate", path);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal([$"{path}: ok"], result.OutLines);
    }

    [Fact]
    public void Validate_StopsReading_WhenADeviceNeverEnds()
    {
        // /dev/zero reports a length of 0 and never ends: reading must stop after 1 MiB, not exhaust memory.
        var result = PipelinerCli.Run("validate", "/dev/zero");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(["/dev/zero: the file is larger than 1 MiB, the most a pipeline file may hold"], result.ErrorLines);
    }

    [Fact]
    public void Validate_ReadsTheFile_WhenItStartsWithAByteOrderMark()
    {
        var path = _files.Write("bom.yml", [.. Encoding.UTF8.Preamble, .. Encoding.UTF8.GetBytes(PipelineTexts.Valid)]);

        var result = PipelinerCli.Run("validate", path);

        Assert.Equal([$"{path}: ok"], result.OutLines);
    }

    [Fact]
    public void Validate_ReadsTheFile_WhenLinesEndWithCrLf()
    {
        var path = _files.Write("crlf.yml", PipelineTexts.Invalid.ReplaceLineEndings("\r\n"));

        var result = PipelinerCli.Run("validate", path);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"{path}:5:5: error: ", result.OutLines[0], StringComparison.Ordinal);
    }

    private static void AssertUnusable(string command, string path, string message)
    {
        string[] args = command == "plan" ? ["plan", path, "--event", "manual"] : ["validate", path];

        var result = PipelinerCli.Run(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Empty(result.Out);
        Assert.Equal([message], result.ErrorLines);
    }

    /// <summary>A valid pipeline followed by comment lines, exactly <paramref name="size"/> bytes long.</summary>
    private static byte[] PaddedPipeline(int size)
    {
        var text = new StringBuilder(PipelineTexts.Valid);
        while (text.Length < size - 80) text.Append('#', 79).Append('\n');
        text.Append('#', size - text.Length - 1).Append('\n');
        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        Assert.Equal(size, bytes.Length);
        return bytes;
    }
}
