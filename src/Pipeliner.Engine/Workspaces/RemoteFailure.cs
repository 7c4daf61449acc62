namespace Pipeliner.Engine.Workspaces;

/// <summary>Says in a few words why a repository could not be read, from what git, ssh or libgit2 reported.</summary>
internal static class RemoteFailure
{
    public const string NoCredentials =
        "authentication required: the repository asks for credentials and the project has none (set them with 'pipeliner project update --username … --password-file …')";

    public static string PasswordRefused(string username) =>
        $"authentication failed: the server refused user name '{username}' with the project's password or token";

    private static readonly string[] Boilerplate =
    [
        "Please make sure you have the correct access rights",
        "and the repository exists.",
        "fatal: Could not read from remote repository.",
    ];

    /// <summary>The cause in git's or ssh's error output (read with LC_ALL=C), without the temporary key folder's path.</summary>
    public static string FromGitOutput(string output, string? keyFolder)
    {
        if (keyFolder is not null) output = output.Replace(keyFolder, "(project key)", StringComparison.Ordinal);
        var lines = output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !line.StartsWith('@') && !Boilerplate.Contains(line))
            .Select(line => line.TrimEnd('.'))
            .ToList();

        if (output.Contains("REMOTE HOST IDENTIFICATION HAS CHANGED", StringComparison.Ordinal))
            return "the SSH server's host key has changed and does not match the known hosts (host-key checking is on): "
                   + (lines.FirstOrDefault(l => l.StartsWith("Host key for", StringComparison.Ordinal)) ?? "")
                   + "; if the server's key really changed, replace its line in the project's knownHosts";
        if (output.Contains("Host key verification failed", StringComparison.Ordinal))
            return "the SSH server's host key is unknown (host-key checking is on): "
                   + (lines.FirstOrDefault(l => l.Contains("host key is known for", StringComparison.Ordinal)) ?? "no known_hosts line matches it")
                   + "; add the server's public host key line to the project's knownHosts (e.g. from 'ssh-keyscan', checked against the server's fingerprint)";
        if (output.Contains("Permission denied (", StringComparison.Ordinal))
            return "authentication failed: the SSH server refused the project's key ("
                   + lines.First(l => l.Contains("Permission denied (", StringComparison.Ordinal))
                   + "); check that its public key is authorized there and that the passphrase is right";
        if (output.Contains("Load key", StringComparison.Ordinal) && lines.FirstOrDefault(l => l.StartsWith("Load key", StringComparison.Ordinal)) is { } load)
            return $"the project's SSH private key cannot be used: {load}";

        return lines.Count == 0 ? "git failed without saying why" : string.Join("; ", lines.Take(3));
    }

    /// <summary><paramref name="message"/> without any of <paramref name="secrets"/> and without passwords written into URLs.</summary>
    public static string Scrub(string message, RepositoryCredentials? credentials)
    {
        foreach (var secret in credentials?.SecretValues ?? [])
        {
            if (secret.Length > 0) message = message.Replace(secret, "***", StringComparison.Ordinal);
        }

        return RepositoryLocation.Redact(message);
    }
}
