using Pipeliner.Engine.Secrets;

namespace Pipeliner.Cli.Running;

/// <summary>Collects secret values from <c>--secrets-file</c> (dotenv) and <c>--secret NAME=VALUE</c> (which wins).</summary>
internal static class SecretInputs
{
    public static Dictionary<string, string> Collect(IReadOnlyList<string> pairs, string? file)
    {
        var secrets = new Dictionary<string, string>(StringComparer.Ordinal);
        if (file is not null)
        {
            if (!File.Exists(file)) throw new FormatException($"{file}: no such secrets file");
            foreach (var (name, value) in DotEnvParser.Parse(File.ReadAllText(file), file)) secrets[name] = value;
        }

        foreach (var pair in pairs)
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0) throw new FormatException("--secret expects NAME=VALUE (the value given is not shown: it may be a secret)");
            secrets[pair[..equals]] = pair[(equals + 1)..];
        }

        return secrets;
    }
}
