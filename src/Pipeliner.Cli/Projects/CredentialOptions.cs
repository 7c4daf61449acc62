using System.CommandLine;

namespace Pipeliner.Cli.Projects;

/// <summary>
/// The options that give a project's repository credentials. Secrets never come from the command line itself (which
/// other users of the machine can see): the password and passphrase from a file ("-": standard input) or an
/// environment variable, the key and known hosts from files.
/// </summary>
internal sealed class CredentialOptions
{
    public const string PasswordVariable = "PIPELINER_REPOSITORY_PASSWORD";
    public const string PassphraseVariable = "PIPELINER_SSH_PASSPHRASE";

    public Option<string?> Username { get; } = new("--username") { Description = "User name for an http(s) repository (with --password-file or $" + PasswordVariable + ")" };
    public Option<string?> PasswordFile { get; } = new("--password-file") { Description = "File holding the repository's password or token; - reads standard input" };
    public Option<string?> SshKeyFile { get; } = new("--ssh-key-file") { Description = "Private key file for an SSH repository" };
    public Option<string?> SshPassphraseFile { get; } = new("--ssh-passphrase-file") { Description = "File holding the key's passphrase, if it has one; - reads standard input (default: $" + PassphraseVariable + ")" };
    public Option<string?> KnownHostsFile { get; } = new("--known-hosts-file") { Description = "known_hosts lines for the SSH server (e.g. from ssh-keyscan); host keys are always checked" };

    public IEnumerable<Option> All => [Username, PasswordFile, SshKeyFile, SshPassphraseFile, KnownHostsFile];

    /// <summary>The credentials the options give, or null when none were given; throws <see cref="UsageException"/> for a wrong combination.</summary>
    public CredentialsBody? Read(ParseResult result, TextReader? input)
    {
        var username = result.GetValue(Username);
        var passwordFile = result.GetValue(PasswordFile);
        var keyFile = result.GetValue(SshKeyFile);
        var passphraseFile = result.GetValue(SshPassphraseFile);
        var knownHostsFile = result.GetValue(KnownHostsFile);
        var https = username is not null || passwordFile is not null;
        var ssh = keyFile is not null || passphraseFile is not null || knownHostsFile is not null;
        if (https && ssh) throw new UsageException("give either --username with its password (http(s)) or --ssh-key-file (SSH), not both");
        if (passwordFile == "-" && passphraseFile == "-") throw new UsageException("standard input can give one secret only");

        if (https)
        {
            if (username is null) throw new UsageException("--password-file needs --username");
            var password = passwordFile is null ? Environment.GetEnvironmentVariable(PasswordVariable) : ReadSecret(passwordFile, input);
            if (string.IsNullOrEmpty(password))
                throw new UsageException($"--username needs the password or token: --password-file FILE (- for standard input) or ${PasswordVariable}");
            return new CredentialsBody(Username: username, Password: password);
        }

        if (!ssh) return null;
        if (keyFile is null) throw new UsageException("--ssh-passphrase-file and --known-hosts-file go with --ssh-key-file");
        var passphrase = passphraseFile is null ? Environment.GetEnvironmentVariable(PassphraseVariable) : ReadSecret(passphraseFile, input);
        return new CredentialsBody(
            SshPrivateKey: ReadFile(keyFile, "--ssh-key-file"),
            SshPassphrase: string.IsNullOrEmpty(passphrase) ? null : passphrase,
            KnownHosts: knownHostsFile is null ? null : ReadFile(knownHostsFile, "--known-hosts-file"));
    }

    /// <summary>A one-line secret from a file or standard input, without its line end.</summary>
    private static string ReadSecret(string file, TextReader? input)
    {
        if (file != "-") return ReadFile(file, "the secret file").TrimEnd('\r', '\n');
        if (input is null) throw new UsageException("no standard input to read the secret from");
        return (input.ReadLine() ?? "").TrimEnd('\r');
    }

    private static string ReadFile(string file, string what)
    {
        try
        {
            return File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{what} {file} cannot be read: {e.Message}");
        }
    }
}
