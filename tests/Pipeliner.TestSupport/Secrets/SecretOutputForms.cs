using System.Text;

namespace Pipeliner.TestSupport.Secrets;

/// <summary>
/// A way a job can print a secret: the POSIX shell line that does it (busybox in the test image) and the bytes it
/// prints, computed here independently, for the unit corpus.
/// </summary>
public sealed record SecretOutputForm(string Name, string Shell, byte[] Output)
{
    public override string ToString() => Name;
}

/// <summary>
/// The corpus of output forms the masking promises to hide (docs/security.md, "Masked output"): the value, its base64
/// at every alignment, base64 of long values wrapped at 76 columns and of multi-line values, a value split across
/// writes and lines, values interleaved with escape sequences and carriage returns. The secrets are the environment
/// variables <see cref="ShortName"/>, <see cref="LongName"/> and <see cref="MultiLineName"/>.
/// </summary>
public static class SecretOutputCorpus
{
    public const string ShortName = "SECRET_SHORT";
    public const string LongName = "SECRET_LONG";
    public const string MultiLineName = "SECRET_KEY";

    /// <summary>24 characters, nothing a shell would change.</summary>
    public const string Short = "pl-7Hq2Zw9Xk4Rt6Vm3Nc8Jd";

    /// <summary>130 characters: its base64 takes three lines of <c>base64</c>'s 76 columns.</summary>
    public static readonly string Long = string.Concat(Enumerable.Range(0, 10).Select(i => $"Lg{i}x-Qv8rT2mW"));

    /// <summary>A key of four lines.</summary>
    public const string MultiLine =
        "-----BEGIN TEST KEY-----\nMIIEpQIBAAKCAQEAw7Zp3xK9fLq2Vn8RtYm4\nHs6Jd1Wc5Ge0Ub9Ta2Xf7Ki3Lo8PqZrNy\n-----END TEST KEY-----";

    public static IReadOnlyDictionary<string, string> Secrets { get; } = new Dictionary<string, string>
    {
        [ShortName] = Short,
        [LongName] = Long,
        [MultiLineName] = MultiLine,
    };

    private const string Esc = "\u001b";

    public static IReadOnlyList<SecretOutputForm> Forms { get; } =
    [
        Form("plain", $"echo \"${ShortName}\"", Short + "\n"),
        Form("inside text", $"echo \"token={ShortName}=${ShortName};\"", $"token={ShortName}={Short};\n"),
        Form("base64 at alignment 0", $"printf '%s' \"${ShortName}\" | base64", Base64(Short)),
        Form("base64 at alignment 1, echo's newline", $"echo \"a${ShortName}\" | base64", Base64("a" + Short + "\n")),
        Form("base64 at alignment 2", $"echo \"ab${ShortName}\" | base64", Base64("ab" + Short + "\n")),
        Form("base64 of a long value, wrapped at 76", $"echo \"${LongName}\" | base64", Base64(Long + "\n")),
        Form("base64 of a long value after text, wrapped", $"printf 'key: %s' \"${LongName}\" | base64", Base64("key: " + Long)),
        Form("base64 of a long value at alignment 1, wrapped", $"printf 'k%s' \"${LongName}\" | base64", Base64("k" + Long)),
        Form("base64 wrapped, CRLF line ends", $"echo \"${LongName}\" | base64 | sed 's/$/\\r/'", Base64(Long + "\n").Replace("\n", "\r\n", StringComparison.Ordinal)),
        Form("base64 of a multi-line value", $"printf '%s\\n' \"${MultiLineName}\" | base64", Base64(MultiLine + "\n")),
        Form("base64 of a multi-line value, no final newline", $"printf '%s' \"${MultiLineName}\" | base64", Base64(MultiLine)),
        Form("multi-line value", $"printf '%s\\n' \"${MultiLineName}\"", MultiLine + "\n"),
        Form("split across two lines", $"echo \"${ShortName}\" | cut -c1-10; echo \"${ShortName}\" | cut -c11-", Short[..10] + "\n" + Short[10..] + "\n"),
        Form("split across lines of 5", $"echo \"${ShortName}\" | fold -w 5", string.Concat(Short.Chunk(5).Select(c => new string(c) + "\n"))),
        Form("long value split across lines of 50", $"echo \"${LongName}\" | fold -w 50", string.Concat(Long.Chunk(50).Select(c => new string(c) + "\n"))),
        Form("escape sequence inside", $"printf '%s\\033[1m%s\\033[0m\\n' \"$(echo \"${ShortName}\" | cut -c1-8)\" \"$(echo \"${ShortName}\" | cut -c9-)\"",
            $"{Short[..8]}{Esc}[1m{Short[8..]}{Esc}[0m\n"),
        Form("every character coloured", $"echo \"${ShortName}\" | sed \"s/./$(printf '\\033')[32m&/g\"", string.Concat(Short.Select(c => $"{Esc}[32m{c}")) + "\n"),
        Form("carriage return inside", $"printf '%s\\r%s\\n' \"$(echo \"${ShortName}\" | cut -c1-8)\" \"$(echo \"${ShortName}\" | cut -c9-)\"",
            $"{Short[..8]}\r{Short[8..]}\n"),
        Form("carriage return overwriting", $"printf 'XXXXXXXX%s\\r%s\\n' \"$(echo \"${ShortName}\" | cut -c9-)\" \"$(echo \"${ShortName}\" | cut -c1-8)\"",
            $"XXXXXXXX{Short[8..]}\r{Short[..8]}\n"),
        Form("split across writes", $"printf '%s' \"$(echo \"${ShortName}\" | cut -c1-10)\"; sleep 0.3; echo \"${ShortName}\" | cut -c11-", Short + "\n"),
    ];

    /// <summary>Printed after every form: it must come through unmasked, or the masking hides ordinary text.</summary>
    public const string Marker = "form-done";

    /// <summary>What <c>base64</c> prints: the encoding wrapped at 76 columns, each line ended.</summary>
    public static string Base64(string text)
    {
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
        return string.Concat(encoded.Chunk(76).Select(c => new string(c) + "\n"));
    }

    private static SecretOutputForm Form(string name, string shell, string output) => new(name, shell, Encoding.UTF8.GetBytes(output));
}
