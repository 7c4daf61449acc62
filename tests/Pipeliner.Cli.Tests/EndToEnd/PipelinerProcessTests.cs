using System.Text;
using Pipeliner.Cli.Tests.Support;

namespace Pipeliner.Cli.Tests.EndToEnd;

/// <summary>The real executable: exit codes, and never a stack trace whatever the input.</summary>
public sealed class PipelinerProcessTests : IDisposable
{
    private readonly TempDirectory _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Validate_ExitsZeroOneOrTwo_ForAValidAnInvalidAndAMissingFile()
    {
        var valid = _files.Write("valid.yml", PipelineTexts.Valid);
        var invalid = _files.Write("invalid.yml", PipelineTexts.Invalid);

        var ok = PipelinerProcess.Run(_files.Path, "validate", valid);
        var errors = PipelinerProcess.Run(_files.Path, "validate", invalid);
        var missing = PipelinerProcess.Run(_files.Path, "validate", "missing.yml");

        Assert.Equal((0, $"{valid}: ok"), (ok.ExitCode, ok.Out.TrimEnd()));
        Assert.Equal(1, errors.ExitCode);
        Assert.Equal(3, errors.OutLines.Length);
        Assert.Equal((2, "missing.yml: no such file"), (missing.ExitCode, missing.Error.TrimEnd()));
    }

    [Fact]
    public void Validate_ReadsPipelinerYmlInTheWorkingDirectory_WhenNoFileIsGiven()
    {
        _files.Write(".pipeliner.yml", PipelineTexts.Valid);

        var result = PipelinerProcess.Run(_files.Path, "validate");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(".pipeliner.yml: ok", result.Out.TrimEnd());
    }

    [Fact]
    public void Plan_ExitsZeroOneOrTwo_ForAPlanAnInvalidPipelineAndBadArguments()
    {
        var valid = _files.Write(".pipeliner.yml", PipelineTexts.Valid);
        var invalid = _files.Write("invalid.yml", PipelineTexts.Invalid);

        var planned = PipelinerProcess.Run(_files.Path, "plan", "--event", "push", "--branch", "develop", "--json");
        var rejected = PipelinerProcess.Run(_files.Path, "plan", invalid, "--event", "manual");
        var noBranch = PipelinerProcess.Run(_files.Path, "plan", valid, "--event", "push");
        var unknownEvent = PipelinerProcess.Run(_files.Path, "plan", valid, "--event", "commit");

        Assert.Equal(0, planned.ExitCode);
        Assert.Contains("\"triggered\": true", planned.Out, StringComparison.Ordinal);
        Assert.Equal(1, rejected.ExitCode);
        Assert.Equal((2, "--event push needs --branch (no branch is checked out here)"), (noBranch.ExitCode, noBranch.Error.TrimEnd()));
        Assert.Equal(2, unknownEvent.ExitCode);
        Assert.Contains("Argument 'commit' not recognized", unknownEvent.Error, StringComparison.Ordinal);
    }

    public static TheoryData<string> GarbageInputs => [.. Garbage.Keys];

    [Theory]
    [MemberData(nameof(GarbageInputs))]
    public void Commands_FailCleanlyWithoutAStackTrace_WhenGivenGarbage(string name)
    {
        var (bytes, allowedExitCodes) = Garbage[name];
        var file = _files.Write("garbage.yml", bytes());

        var validate = PipelinerProcess.Run(_files.Path, "validate", file);
        var plan = PipelinerProcess.Run(_files.Path, "plan", file, "--event", "manual", "--json");

        foreach (var (command, result) in new[] { ("validate", validate), ("plan", plan) })
        {
            Assert.True(allowedExitCodes.Contains(result.ExitCode), $"{command} exited {result.ExitCode}; stderr:\n{result.Error}");
            Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("Unhandled exception", result.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("Stack overflow", result.Error, StringComparison.Ordinal);
            if (result.ExitCode == 2) Assert.Single(result.ErrorLines);
        }

        Assert.Equal(validate.ExitCode, plan.ExitCode);
    }

    private static readonly int[] Invalid = [1];
    private static readonly int[] Unusable = [2];

    /// <summary>Each garbage file and the exit codes it may produce: 1 for a pipeline with errors, 2 for an unusable file.</summary>
    private static readonly Dictionary<string, (Func<byte[]> Bytes, int[] ExitCodes)> Garbage = new()
    {
        ["random bytes"] = (() => RandomBytes(4096, seed: 1), Unusable),
        ["random bytes without NUL"] = (() => RandomBytes(4096, seed: 2).Select(b => b == 0 ? (byte)1 : b).ToArray(), Unusable),
        ["random printable text"] = (() => Utf8(RandomText(20_000, seed: 3)), Invalid),
        ["lists nested 10,000 deep"] = (() => Utf8(new string('[', 10_000) + new string(']', 10_000)), Invalid),
        ["lists nested 500,000 deep, unclosed"] = (() => Utf8("stages: " + new string('[', 500_000)), Invalid),
        ["mappings nested 10,000 deep"] = (() => Utf8(string.Concat(Enumerable.Repeat("{a: ", 10_000)) + "1" + new string('}', 10_000)), Invalid),
        ["block mappings nested 1,000 deep"] = (() => Utf8(string.Concat(Enumerable.Range(0, 1_000).Select(i => new string(' ', i) + "k:\n"))), Invalid),
        ["a huge scalar"] = (() => Utf8("stages: [build]\nname: \"" + new string('x', 1_000_000) + "\"\n"), Invalid),
        ["a huge key"] = (() => Utf8(new string('k', 1_000_000) + ": v\n"), Invalid),
        ["tabs for indentation"] = (() => Utf8("stages: [a]\njobs:\n\ta:\n\t\tstage: a\n"), Invalid),
        ["weird unicode"] = (() => Utf8("stages: [\u202Ebuild, \u200B, \U0001F4A5, e\u0301]\njobs:\n  \uFFFD: { stage: \u00A0, image: \u2028, script: [\uFEFF] }\n"), Invalid),
        ["control characters"] = (() => Utf8("stages: [a]\u0001\u0002\u0003\njobs: {\u001B: 1}\n"), Invalid),
        ["billion laughs"] = (() => Utf8(BillionLaughs()), Invalid),
        ["billion laughs merged into jobs"] = (() => Utf8(BillionLaughs() + "jobs:\n  a:\n    <<: *m9\n    stage: lol\n"), Invalid),
        ["an alias to an undefined anchor"] = (() => Utf8("stages: *nowhere\n"), Invalid),
        ["a recursive alias"] = (() => Utf8("a: &a [*a]\n"), Invalid),
        ["only a document marker"] = (() => Utf8("---\n"), Invalid),
        ["many documents"] = (() => Utf8(string.Concat(Enumerable.Repeat("---\na: 1\n", 10_000))), Invalid),
        ["CR line endings only"] = (() => Utf8(PipelineTexts.Invalid.ReplaceLineEndings("\r")), Invalid),
        ["a 2 MiB file"] = (() => new byte[2 * 1024 * 1024].Select(_ => (byte)'#').ToArray(), Unusable),
        ["a lone surrogate encoded"] = (() => [0x61, 0x3A, 0x20, 0xED, 0xB0, 0x80], Unusable),
    };

    private static byte[] Utf8(string text) => new UTF8Encoding(false).GetBytes(text);

    private static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static string RandomText(int count, int seed)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 :-[]{},'\"#&*!|>?%@`\n\n\n\t";
        var random = new Random(seed);
        return new string(Enumerable.Range(0, count).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
    }

    /// <summary>Ten levels of nine aliases each: expanded, 9^10 (3.4 billion) values; shared, a few hundred nodes.</summary>
    private static string BillionLaughs()
    {
        var text = new StringBuilder("stages: [lol]\nl0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\nm0: &m0 {k0: *l0}\n");
        for (var i = 1; i <= 9; i++)
        {
            text.Append($"l{i}: &l{i} [{string.Join(", ", Enumerable.Repeat($"*l{i - 1}", 9))}]\n");
            text.Append($"m{i}: &m{i} {{ {string.Join(", ", Enumerable.Range(0, 9).Select(k => $"k{k}: *l{i}"))}, <<: *m{i - 1} }}\n");
        }

        return text.ToString();
    }
}
