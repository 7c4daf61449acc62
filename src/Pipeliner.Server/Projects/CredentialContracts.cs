using Pipeliner.Engine.Workspaces;

namespace Pipeliner.Server.Projects;

/// <summary>
/// The <c>credentials</c> of a project's repository as the API takes them: a user name and password (or token) for an
/// http(s) repository, or an SSH private key with its optional passphrase and known_hosts lines. All fields empty: none.
/// Also the shape they are stored in, encrypted.
/// </summary>
public sealed record RepositoryCredentialsRequest(
    string? Username = null, string? Password = null, string? SshPrivateKey = null, string? SshPassphrase = null, string? KnownHosts = null)
{
    public bool IsEmpty => new[] { Username, Password, SshPrivateKey, SshPassphrase, KnownHosts }.All(string.IsNullOrEmpty);

    /// <summary>True when any SSH field is given (the username and password are for HTTP).</summary>
    public bool IsSsh => !string.IsNullOrEmpty(SshPrivateKey) || !string.IsNullOrEmpty(SshPassphrase) || !string.IsNullOrEmpty(KnownHosts);

    /// <summary>The credentials they describe (call on valid, non-empty ones only).</summary>
    public RepositoryCredentials ToCredentials() =>
        IsSsh ? new SshKeyCredentials(SshPrivateKey!, SshPassphrase, KnownHosts) : new PasswordCredentials(Username!, Password!);

    /// <summary>Never shows a value, should a request ever be logged.</summary>
    public override string ToString() => IsEmpty ? "no credentials" : $"{(IsSsh ? SshKeyCredentials.KindName : PasswordCredentials.KindName)} credentials";
}

public static class CredentialContracts
{
    private const int MaxKeyLength = 16 * 1024;
    private const int MaxKnownHostsLength = 64 * 1024;
    private const int MaxPasswordLength = 4 * 1024;

    /// <summary>Adds every problem of <paramref name="credentials"/> for a project reading <paramref name="repository"/>.</summary>
    public static void Validate(Dictionary<string, string[]> errors, RepositoryCredentialsRequest? credentials, string? repository)
    {
        if (credentials is null || credentials.IsEmpty) return;
        if (credentials.IsSsh && (!string.IsNullOrEmpty(credentials.Username) || !string.IsNullOrEmpty(credentials.Password)))
        {
            errors["credentials"] = ["either username and password (http(s) repositories) or sshPrivateKey with sshPassphrase and knownHosts (SSH repositories), not both"];
            return;
        }

        if (credentials.IsSsh) ValidateSsh(errors, credentials, repository);
        else ValidatePassword(errors, credentials, repository);
    }

    private static void ValidatePassword(Dictionary<string, string[]> errors, RepositoryCredentialsRequest credentials, string? repository)
    {
        if (string.IsNullOrWhiteSpace(credentials.Username) || credentials.Username.Contains(':', StringComparison.Ordinal) || credentials.Username.Any(char.IsControl))
            errors["credentials.username"] = ["the user name to sign in to the repository with, without ':' or control characters"];
        if (string.IsNullOrEmpty(credentials.Password) || credentials.Password.Length > MaxPasswordLength || credentials.Password.Any(char.IsControl))
            errors["credentials.password"] = [$"the password or access token, at most {MaxPasswordLength} characters without control characters"];
        if (repository is not null && !RepositoryLocation.IsHttp(repository))
            errors["credentials"] = ["a user name and password are sent to http(s):// repositories only; for an SSH repository give sshPrivateKey"];
    }

    private static void ValidateSsh(Dictionary<string, string[]> errors, RepositoryCredentialsRequest credentials, string? repository)
    {
        if (credentials.SshPrivateKey is not { } key || key.Length > MaxKeyLength
            || !key.TrimStart().StartsWith("-----BEGIN ", StringComparison.Ordinal) || !key.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
            errors["credentials.sshPrivateKey"] = ["the private key's text, from '-----BEGIN … PRIVATE KEY-----' to its END line (OpenSSH or PEM format)"];
        if (credentials.SshPassphrase is { Length: > MaxPasswordLength } || credentials.SshPassphrase?.Contains('\n', StringComparison.Ordinal) == true)
            errors["credentials.sshPassphrase"] = [$"the key's passphrase on one line, at most {MaxPasswordLength} characters"];
        if (credentials.KnownHosts is { } knownHosts && (knownHosts.Length > MaxKnownHostsLength || KnownHostsProblem(knownHosts) is not null))
            errors["credentials.knownHosts"] = [KnownHostsProblem(knownHosts) ?? $"at most {MaxKnownHostsLength} characters"];
        if (repository is not null && !RepositoryLocation.IsSsh(repository))
            errors["credentials"] = ["an SSH key is used for ssh:// or user@host:path repositories only; for an http(s) repository give username and password"];
    }

    /// <summary>
    /// Adds a problem when ssh cannot load the (otherwise valid) key with the passphrase given: a wrong passphrase is
    /// said now rather than at the first fetch.
    /// </summary>
    public static void CheckKey(Dictionary<string, string[]> errors, RepositoryCredentialsRequest? credentials)
    {
        if (errors.Count > 0 || credentials is not { IsSsh: true } || credentials.ToCredentials() is not SshKeyCredentials key) return;
        if (SshKeyCheck.Problem(key) is { } problem)
            errors[problem.IsPassphrase ? "credentials.sshPassphrase" : "credentials.sshPrivateKey"] = [problem.Message];
    }

    /// <summary>What is wrong with the known_hosts text (lines "host keytype key", as ssh-keyscan prints them), or null.</summary>
    private static string? KnownHostsProblem(string knownHosts)
    {
        var lines = knownHosts.Split('\n').Select(l => l.Trim()).ToList();
        if (lines.All(l => l.Length == 0 || l.StartsWith('#'))) return "known_hosts lines, e.g. '[git.example.com]:2222 ssh-ed25519 AAAA…' as ssh-keyscan prints them";
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i].Length == 0 || lines[i].StartsWith('#')) continue;
            var fields = lines[i].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            var offset = fields.Length > 0 && fields[0].StartsWith('@') ? 1 : 0;
            if (fields.Length < offset + 3)
                return $"line {i + 1} is not a known_hosts line: expected 'host keytype key', e.g. '[git.example.com]:2222 ssh-ed25519 AAAA…'";
        }

        return null;
    }
}
