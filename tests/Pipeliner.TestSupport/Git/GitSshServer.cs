using System.Diagnostics;
using System.Text;

namespace Pipeliner.TestSupport.Git;

/// <summary>
/// Debian's OpenSSH server, started for one test on a free 127.0.0.1 port as the test's own user, with its own host key
/// and authorized_keys, no password login: git over SSH reaches the bare repositories by their absolute paths.
/// </summary>
public sealed class GitSshServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly string _directory;
    private readonly StringBuilder _log = new();

    private GitSshServer(Process process, string directory, int port, string hostPublicKey)
    {
        _process = process;
        _directory = directory;
        Port = port;
        HostPublicKey = hostPublicKey;
    }

    public int Port { get; }

    /// <summary>The host key's public half, "ssh-ed25519 AAAA…".</summary>
    public string HostPublicKey { get; }

    /// <summary>The known_hosts line that makes this server known.</summary>
    public string KnownHostsLine => $"[127.0.0.1]:{Port} {HostPublicKey}";

    /// <summary>What sshd logged, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_log) return _log.ToString();
        }
    }

    public string UrlOf(string repositoryPath) => $"ssh://{Environment.UserName}@127.0.0.1:{Port}{repositoryPath}";

    /// <param name="directory">An empty folder for the server's keys, configuration and client keys.</param>
    public static async Task<GitSshServer> StartAsync(string directory)
    {
        var sshd = new[] { "/usr/sbin/sshd", "/usr/local/sbin/sshd" }.FirstOrDefault(File.Exists)
                   ?? throw new InvalidOperationException("sshd is not installed: run deploy/dev/git-prerequisites.sh (Debian package openssh-server)");
        // sshd run by root insists on its privilege separation directory, which Debian's service would create.
        if (Environment.UserName == "root") Directory.CreateDirectory("/run/sshd");

        Directory.CreateDirectory(directory);
        var hostKey = Path.Combine(directory, "host_key");
        ToolProcess.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "pipeliner-test-host", "-f", hostKey);
        var authorizedKeys = Path.Combine(directory, "authorized_keys");
        File.WriteAllText(authorizedKeys, "");
        return await LoopbackPort.StartServerAsync(
            null, port => Launch(sshd, directory, hostKey, authorizedKeys, port),
            server => server.WaitUntilListeningAsync(), server => LoopbackPort.SaysAddressInUse(server.Log));
    }

    private static GitSshServer Launch(string sshd, string directory, string hostKey, string authorizedKeys, int port)
    {
        var config = Path.Combine(directory, "sshd_config");
        File.WriteAllText(config, $"""
            Port {port}
            ListenAddress 127.0.0.1
            HostKey {hostKey}
            AuthorizedKeysFile {authorizedKeys}
            PidFile {Path.Combine(directory, "sshd.pid")}
            UsePAM no
            StrictModes no
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PermitRootLogin prohibit-password
            AllowTcpForwarding no
            X11Forwarding no
            LogLevel VERBOSE

            """);

        var info = new ProcessStartInfo(sshd, ["-D", "-e", "-f", config])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        var process = new Process { StartInfo = info };
        var hostPublicKey = string.Join(' ', File.ReadAllText(hostKey + ".pub").Trim().Split(' ').Take(2));
        var server = new GitSshServer(process, directory, port, hostPublicKey);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>A new client key that the server accepts (encrypted with <paramref name="passphrase"/> when given): its private key text.</summary>
    public string AddClientKey(string? passphrase = null)
    {
        var key = Path.Combine(_directory, $"client_{Guid.NewGuid():N}");
        ToolProcess.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase ?? "", "-C", "pipeliner-test-client", "-f", key);
        File.AppendAllText(Path.Combine(_directory, "authorized_keys"), File.ReadAllText(key + ".pub"));
        return File.ReadAllText(key);
    }

    /// <summary>A key pair the server does not know: its private key text.</summary>
    public string UnknownClientKey()
    {
        var key = Path.Combine(_directory, $"stranger_{Guid.NewGuid():N}");
        ToolProcess.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "pipeliner-test-stranger", "-f", key);
        return File.ReadAllText(key);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private async Task WaitUntilListeningAsync()
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            if (_process.HasExited)
            {
                _process.WaitForExit(); // the rest of its output
                throw new InvalidOperationException($"sshd exited with {_process.ExitCode}:\n{Log}");
            }

            if (Log.Contains("Server listening on 127.0.0.1", StringComparison.Ordinal)) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"sshd did not listen within {StartTimeout}:\n{Log}");
            await Task.Delay(25);
        }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
    }
}
