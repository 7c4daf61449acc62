using System.Text;
using System.Text.RegularExpressions;

namespace Pipeliner.Core.Tests.Syntax.Yaml;

/// <summary>The YAML texts the differential tests read: samples, scenarios, and the literals of the Core tests.</summary>
internal static partial class YamlTexts
{
    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Pipeliner.sln"))) return directory.FullName;
        }

        throw new InvalidOperationException("no Pipeliner.sln above " + AppContext.BaseDirectory);
    }

    public static string[] SamplePaths() => Sorted(Directory.GetFiles(Path.Combine(RepositoryRoot(), "samples", "pipelines"), "*.yml"));

    public static string[] ScenarioPaths() =>
        Sorted(Directory.GetFiles(Path.Combine(RepositoryRoot(), "tests", "Pipeliner.Core.Tests", "Scenarios"), "*.yml", SearchOption.AllDirectories));

    /// <summary>
    /// Every string literal of the Core tests' sources (raw literals dedented, regular ones unescaped), which holds
    /// every pipeline and snippet those tests load, valid or not. Other strings in it are harmless extra input.
    /// </summary>
    public static IReadOnlyList<string> TestSourceLiterals()
    {
        var literals = new List<string>();
        var sources = Sorted(Directory.GetFiles(Path.Combine(RepositoryRoot(), "tests", "Pipeliner.Core.Tests"), "*.cs", SearchOption.AllDirectories));
        foreach (var path in sources)
        {
            var source = File.ReadAllText(path);
            foreach (Match raw in RawLiteral().Matches(source)) literals.Add(Dedent(raw.Groups["body"].Value, raw.Groups["indent"].Value.Length));
            var withoutRaw = RawLiteral().Replace(source, "");
            foreach (Match regular in RegularLiteral().Matches(withoutRaw))
            {
                var text = Unescape(regular.Groups["body"].Value);
                if (text.Length > 1 && text.AsSpan().IndexOfAny(":-[{") >= 0) literals.Add(text);
            }
        }

        return literals;
    }

    private static string[] Sorted(string[] paths)
    {
        Array.Sort(paths, StringComparer.Ordinal);
        return paths;
    }

    private static string Dedent(string body, int indent)
    {
        var lines = body.Split('\n');
        return string.Join('\n', lines.Select(line => line.Length >= indent && string.IsNullOrWhiteSpace(line[..indent]) ? line[indent..] : line.TrimStart()));
    }

    private static string Unescape(string body)
    {
        var text = new StringBuilder(body.Length);
        for (var i = 0; i < body.Length; i++)
        {
            if (body[i] != '\\' || i + 1 == body.Length)
            {
                text.Append(body[i]);
                continue;
            }

            var code = body[++i];
            if (code == 'u' && i + 4 < body.Length)
            {
                text.Append((char)Convert.ToInt32(body.Substring(i + 1, 4), 16));
                i += 4;
                continue;
            }

            text.Append(code switch { 'n' => '\n', 'r' => '\r', 't' => '\t', '0' => '\0', _ => code });
        }

        return text.ToString();
    }

    [GeneratedRegex("\"\"\"[ \\t]*\\n(?<body>.*?)\\n(?<indent>[ \\t]*)\"\"\"", RegexOptions.Singleline)]
    private static partial Regex RawLiteral();

    [GeneratedRegex("(?<![@\\w])\"(?<body>(?:[^\"\\\\\\n]|\\\\.)*)\"")]
    private static partial Regex RegularLiteral();
}
