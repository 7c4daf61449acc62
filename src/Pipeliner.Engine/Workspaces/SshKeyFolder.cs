using System.Runtime.Versioning;

namespace Pipeliner.Engine.Workspaces;

/// <summary>
/// A project's SSH key, passphrase and known hosts as files in a folder only this user can read (0700, files 0600),
/// for one ssh call; removed on dispose. Host keys are always checked: strictly against the project's known hosts
/// when it has them, else against the server user's own known_hosts files.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal sealed class SshKeyFolder : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private SshKeyFolder(string path) => Path = path;

    public string Path { get; }

    /// <summary>The private key's file.</summary>
    public string KeyFile => System.IO.Path.Combine(Path, "key");

    /// <summary>The GIT_SSH_COMMAND that uses only this key and checks the host key.</summary>
    public string SshCommand { get; private set; } = "";

    /// <summary>A program that prints the key's passphrase (for SSH_ASKPASS), or null when the key has none.</summary>
    public string? AskPassProgram { get; private set; }

    public static SshKeyFolder Create(SshKeyCredentials credentials)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"pipeliner-ssh-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var folder = new SshKeyFolder(path);
        try
        {
            folder.Write(credentials);
            return folder;
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Gone already.
        }
    }

    private void Write(SshKeyCredentials credentials)
    {
        var key = WriteFile(System.IO.Path.GetFileName(KeyFile), Lines(credentials.PrivateKey));
        List<string> options =
        [
            "-i", key, "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-o", "StrictHostKeyChecking=yes",
            "-o", "PasswordAuthentication=no", "-o", "KbdInteractiveAuthentication=no", "-o", "NumberOfPasswordPrompts=1",
            "-o", "ConnectTimeout=30", "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4",
        ];
        if (credentials.KnownHosts is { } knownHosts)
            options.AddRange(["-o", $"UserKnownHostsFile={WriteFile("known_hosts", Lines(knownHosts))}", "-o", "GlobalKnownHostsFile=/dev/null"]);
        // Without a passphrase nothing may be asked; with one, only the key's passphrase is (password logins are off).
        if (credentials.Passphrase is { } passphrase)
        {
            var secret = WriteFile("passphrase", passphrase);
            AskPassProgram = WriteFile("askpass", $"#!/bin/sh\ncat {Quote(secret)}\n", OwnerOnly | UnixFileMode.UserExecute);
        }
        else
        {
            options.AddRange(["-o", "BatchMode=yes"]);
        }

        SshCommand = "ssh " + string.Join(' ', options.Select(Quote));
    }

    private string WriteFile(string name, string content, UnixFileMode mode = OwnerOnly)
    {
        var file = System.IO.Path.Combine(Path, name);
        using var stream = new FileStream(file, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode });
        using var writer = new StreamWriter(stream);
        writer.Write(content);
        return file;
    }

    /// <summary>Unix line ends and a final one: OpenSSH refuses a key file without it.</summary>
    private static string Lines(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n') + "\n";

    /// <summary>Quoted for the shell that runs GIT_SSH_COMMAND.</summary>
    private static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
