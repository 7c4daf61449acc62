namespace Pipeliner.Engine.Workspaces;

/// <summary>
/// How the server signs in to a project's repository. Never printed: <see cref="object.ToString"/> names the kind only,
/// and <see cref="SecretValues"/> lists what error texts must never show.
/// </summary>
public abstract class RepositoryCredentials
{
    private protected RepositoryCredentials()
    {
    }

    /// <summary>"password" or "ssh", as the API shows which kind a project has.</summary>
    public abstract string Kind { get; }

    public abstract IReadOnlyList<string> SecretValues { get; }

    public sealed override string ToString() => $"{Kind} credentials";
}

/// <summary>A user name and a password or access token, sent with HTTP basic authentication.</summary>
public sealed class PasswordCredentials(string username, string password) : RepositoryCredentials
{
    public const string KindName = "password";

    public string Username { get; } = username;
    public string Password { get; } = password;

    public override string Kind => KindName;
    public override IReadOnlyList<string> SecretValues => [Password];
}

/// <summary>An SSH private key (OpenSSH or PEM text), its passphrase when it has one, and the known_hosts lines the server's host key is checked against.</summary>
public sealed class SshKeyCredentials(string privateKey, string? passphrase, string? knownHosts) : RepositoryCredentials
{
    public const string KindName = "ssh";

    public string PrivateKey { get; } = privateKey;
    public string? Passphrase { get; } = string.IsNullOrEmpty(passphrase) ? null : passphrase;

    /// <summary>null: the server user's own known_hosts files (~/.ssh/known_hosts, /etc/ssh/ssh_known_hosts) are used.</summary>
    public string? KnownHosts { get; } = string.IsNullOrWhiteSpace(knownHosts) ? null : knownHosts;

    public override string Kind => KindName;

    /// <summary>The passphrase and every line of the key between its BEGIN and END lines.</summary>
    public override IReadOnlyList<string> SecretValues =>
    [
        .. PrivateKey.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Where(line => !line.StartsWith("-----", StringComparison.Ordinal)),
        .. Passphrase is null ? Array.Empty<string>() : [Passphrase],
    ];
}

/// <summary>Gives the credentials of a project's repository, kept where the server keeps secrets; none for a public one.</summary>
public interface IRepositoryCredentialSource
{
    Task<RepositoryCredentials?> ForProjectAsync(string project, CancellationToken cancellationToken);
}
