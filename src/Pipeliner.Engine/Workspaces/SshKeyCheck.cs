using System.ComponentModel;
using System.Diagnostics;

namespace Pipeliner.Engine.Workspaces;

/// <summary>What keeps ssh from using a key: its passphrase (missing or wrong), or the key itself.</summary>
public sealed record SshKeyProblem(bool IsPassphrase, string Message);

/// <summary>Checks with ssh-keygen that ssh can load a key with the passphrase given, so that a wrong one is said when it is set.</summary>
public static class SshKeyCheck
{
    /// <summary>What is wrong with the key or its passphrase, or null when ssh can use them.</summary>
    public static SshKeyProblem? Problem(SshKeyCredentials credentials)
    {
        if (OperatingSystem.IsWindows()) return null;
        using var folder = SshKeyFolder.Create(credentials);
        var info = new ProcessStartInfo("ssh-keygen", ["-y", "-f", folder.KeyFile])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        info.Environment["LC_ALL"] = "C";
        info.Environment["SSH_ASKPASS_REQUIRE"] = folder.AskPassProgram is null ? "never" : "force";
        if (folder.AskPassProgram is { } askPass) info.Environment["SSH_ASKPASS"] = askPass;
        try
        {
            using var process = Process.Start(info)!;
            process.StandardInput.Close();
            var error = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode == 0) return null;
            if (error.Result.Contains("incorrect passphrase", StringComparison.Ordinal))
                return new(true, credentials.Passphrase is null ? "the key is encrypted: give its passphrase as sshPassphrase" : "sshPassphrase does not decrypt the key");
            return new(false, "ssh cannot read the key (" + error.Result.Replace(folder.KeyFile, "key", StringComparison.Ordinal).Trim() + ")");
        }
        catch (Win32Exception)
        {
            return new(false, "the server cannot check the key: ssh-keygen is not installed there, and SSH repositories need the OpenSSH client (Debian: openssh-client)");
        }
    }
}
