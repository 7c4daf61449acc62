using System.Diagnostics;

namespace Pipeliner.Engine.Workspaces;

/// <summary>
/// Clones and fetches over SSH with the git command line. LibGit2Sharp's bundled libgit2 also runs the ssh program,
/// but configured only through the whole process's environment, which concurrent fetches of different projects would
/// share; git takes the key, passphrase and known hosts per call. The key and passphrase are written to a 0700
/// folder under the temp directory for the call only, and never reach the mirror's configuration.
/// </summary>
internal sealed class SshGitClient(string source, SshKeyCredentials? credentials)
{
    public void Clone(string mirrorPath) => Run(["clone", "--bare", "--quiet", "--", source, mirrorPath]);

    public void Fetch(string mirrorPath, IEnumerable<string> refSpecs, bool prune) =>
        Run(["--git-dir", mirrorPath, "fetch", "--quiet", .. prune ? new[] { "--prune" } : [], "origin", .. refSpecs]);

    private void Run(string[] arguments)
    {
        if (OperatingSystem.IsWindows()) throw new RemoteAccessException("SSH repositories need a Linux or macOS server");
        using var keys = credentials is null ? null : SshKeyFolder.Create(credentials);
        var info = new ProcessStartInfo("git")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        var environment = info.Environment;
        // English messages, which RemoteFailure reads; never a prompt on a terminal.
        environment["LC_ALL"] = "C";
        environment["GIT_TERMINAL_PROMPT"] = "0";
        environment["GIT_SSH_COMMAND"] = keys?.SshCommand ?? "ssh -o BatchMode=yes -o StrictHostKeyChecking=yes";
        if (keys?.AskPassProgram is { } askPass)
        {
            environment["SSH_ASKPASS"] = askPass;
            environment["SSH_ASKPASS_REQUIRE"] = "force";
        }
        else
        {
            environment["SSH_ASKPASS_REQUIRE"] = "never";
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new RemoteAccessException($"SSH repositories need the git command line, which cannot be started ({e.Message}): install git");
        }

        using (process)
        {
            process.StandardInput.Close();
            var error = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0) throw new RemoteAccessException(RemoteFailure.FromGitOutput(error.Result, keys?.Path));
        }
    }
}

/// <summary>A remote that could not be read; the message is for people and holds no secret.</summary>
internal sealed class RemoteAccessException(string message) : Exception(message);
