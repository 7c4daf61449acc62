using System.Text.Json;
using System.Text.RegularExpressions;

namespace Pipeliner.TestSupport.Containers;

/// <summary>
/// The run-time settings of a Dockerfile's final stage (ENV, USER, WORKDIR, EXPOSE, VOLUME, ENTRYPOINT, CMD), read
/// independently of <c>build-offline.sh</c>, to check that the offline image starts as the Dockerfile's would.
/// </summary>
public sealed partial record DockerfileStage(
    IReadOnlyDictionary<string, string> Environment, string? User, string? WorkingDir, IReadOnlyList<string> Exposed,
    IReadOnlyList<string> Volumes, IReadOnlyList<string>? Entrypoint, IReadOnlyList<string>? Cmd)
{
    public static DockerfileStage ReadFinal(string path)
    {
        var environment = new Dictionary<string, string>();
        string? user = null, workingDir = null;
        List<string> exposed = [], volumes = [];
        IReadOnlyList<string>? entrypoint = null, cmd = null;
        foreach (var instruction in Instructions(File.ReadAllLines(path)))
        {
            var (keyword, rest) = (instruction.Split(' ', 2)[0].ToUpperInvariant(), instruction.Split(' ', 2).ElementAtOrDefault(1)?.Trim() ?? "");
            switch (keyword)
            {
                case "FROM":
                    environment.Clear();
                    (user, workingDir, entrypoint, cmd) = (null, null, null, null);
                    exposed.Clear();
                    volumes.Clear();
                    break;
                case "ENV":
                    foreach (Match pair in EnvPair().Matches(rest)) environment[pair.Groups[1].Value] = pair.Groups[2].Value;
                    break;
                case "USER": user = rest; break;
                case "WORKDIR": workingDir = rest; break;
                case "EXPOSE": exposed.AddRange(rest.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Contains('/') ? p : p + "/tcp")); break;
                case "VOLUME": volumes.AddRange(JsonSerializer.Deserialize<string[]>(rest)!); break;
                case "ENTRYPOINT": entrypoint = JsonSerializer.Deserialize<string[]>(rest); break;
                case "CMD": cmd = JsonSerializer.Deserialize<string[]>(rest); break;
            }
        }

        return new DockerfileStage(environment, user, workingDir, exposed, volumes, entrypoint, cmd);
    }

    /// <summary>How the image's configuration (<c>docker image inspect</c>'s <c>.Config</c>) differs from this stage; empty when it starts the same way.</summary>
    public IReadOnlyList<string> DifferencesFrom(JsonElement config)
    {
        var differences = new List<string>();
        var imageEnvironment = Strings(config, "Env").Select(e => e.Split('=', 2)).ToDictionary(p => p[0], p => p.ElementAtOrDefault(1) ?? "");
        foreach (var (name, value) in Environment)
        {
            // $PATH and the like name the base image's value, which the two builds get differently.
            var pattern = "^" + Regex.Escape(value).Replace(@"\$PATH", "[^:]+(:[^:]+)*") + "$";
            if (!imageEnvironment.TryGetValue(name, out var actual)) differences.Add($"ENV {name} is missing");
            else if (!Regex.IsMatch(actual, pattern)) differences.Add($"ENV {name}: image has '{actual}', Dockerfile '{value}'");
        }

        Compare("USER", User, Text(config, "User"));
        Compare("WORKDIR", WorkingDir, Text(config, "WorkingDir"));
        Compare("ENTRYPOINT", Join(Entrypoint), Join(Strings(config, "Entrypoint")));
        Compare("CMD", Join(Cmd), Join(Strings(config, "Cmd")));
        Compare("EXPOSE", Join(Exposed.Order().ToList()), Join(Keys(config, "ExposedPorts").Order().ToList()));
        Compare("VOLUME", Join(Volumes.Order().ToList()), Join(Keys(config, "Volumes").Order().ToList()));
        return differences;

        void Compare(string what, string? expected, string? actual)
        {
            if ((expected ?? "") != (actual ?? "")) differences.Add($"{what}: image has '{actual}', Dockerfile '{expected}'");
        }
    }

    private static string? Join(IReadOnlyList<string>? values) => values is null || values.Count == 0 ? null : JsonSerializer.Serialize(values);

    private static string? Text(JsonElement config, string name) =>
        config.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : null;

    private static List<string> Strings(JsonElement config, string name) =>
        config.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().Select(v => v.GetString()!).ToList() : [];

    private static List<string> Keys(JsonElement config, string name) =>
        config.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value.EnumerateObject().Select(p => p.Name).ToList() : [];

    /// <summary>Instructions one a line: comments dropped, continuation lines joined.</summary>
    private static IEnumerable<string> Instructions(IEnumerable<string> lines)
    {
        var current = "";
        foreach (var line in lines)
        {
            if (line.TrimStart().StartsWith('#')) continue;
            if (line.TrimEnd().EndsWith('\\'))
            {
                current += line.TrimEnd()[..^1] + " ";
                continue;
            }

            current += line;
            if (current.Trim().Length > 0) yield return WhiteSpace().Replace(current.Trim(), " ");
            current = "";
        }
    }

    [GeneratedRegex(@"([A-Za-z_][A-Za-z0-9_]*)=(\S*)")]
    private static partial Regex EnvPair();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
