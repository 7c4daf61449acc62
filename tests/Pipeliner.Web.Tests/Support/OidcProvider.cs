using System.Diagnostics;
using System.Text;

namespace Pipeliner.Web.Tests.Support;

/// <summary>
/// A real OpenID Connect provider (the npm package oidc-provider, <c>tests/oidc-provider/provider.mjs</c>) on a free
/// loopback port, with one client for Pipeliner. Its development sign-in pages accept any login with any password;
/// <paramref name="roles"/> gives logins a <c>pipeliner_roles</c> claim. Stopped by closing its standard input.
/// </summary>
public sealed class OidcProvider : IAsyncDisposable
{
    public const string ClientId = "pipeliner";
    public const string ClientSecret = "pipeliner-test-client-secret";
    public const string RoleClaim = "pipeliner_roles";

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private OidcProvider(Process process) => _process = process;

    /// <summary>The provider's issuer, Pipeliner's Authority setting.</summary>
    public string Issuer { get; private set; } = "";

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public static string Directory => Path.Combine(Repository.Root, "tests", "oidc-provider");

    /// <summary>Starts the provider for a Pipeliner server reached at <paramref name="serverUrl"/>.</summary>
    public static async Task<OidcProvider> StartAsync(string serverUrl, IReadOnlyDictionary<string, string>? roles = null)
    {
        if (!File.Exists(Path.Combine(Directory, "node_modules", "oidc-provider", "package.json")))
        {
            throw new InvalidOperationException(
                $"the test OpenID Connect provider's npm packages are missing in {Directory}: run 'bash deploy/dev/web-prerequisites.sh'");
        }

        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = Directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     "provider.mjs", "--client-id", ClientId, "--client-secret", ClientSecret, "--redirect-uri", $"{serverUrl}/signin-oidc",
                     "--roles", string.Join(',', (roles ?? new Dictionary<string, string>()).Select(r => $"{r.Key}={r.Value}")),
                 })
        {
            start.ArgumentList.Add(argument);
        }

        var provider = new OidcProvider(new Process { StartInfo = start });
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        provider._process.OutputDataReceived += (_, e) =>
        {
            provider.Append(e.Data);
            if (e.Data?.StartsWith("ready ", StringComparison.Ordinal) == true) ready.TrySetResult(e.Data["ready ".Length..]);
        };
        provider._process.ErrorDataReceived += (_, e) => provider.Append(e.Data);
        provider._process.EnableRaisingEvents = true;
        provider._process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"the OIDC provider exited:\n{provider.Output}"));
        provider._process.Start();
        provider._process.BeginOutputReadLine();
        provider._process.BeginErrorReadLine();
        provider.Issuer = await ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return provider;
    }

    /// <summary>The server settings that make Pipeliner use this provider.</summary>
    public IEnumerable<string> ServerSettings(string defaultRole = "viewer", string displayName = "Test SSO") =>
    [
        $"--Pipeliner:Auth:Oidc:Authority={Issuer}", $"--Pipeliner:Auth:Oidc:ClientId={ClientId}",
        $"--Pipeliner:Auth:Oidc:ClientSecret={ClientSecret}", $"--Pipeliner:Auth:Oidc:RoleClaim={RoleClaim}",
        $"--Pipeliner:Auth:Oidc:DefaultRole={defaultRole}", $"--Pipeliner:Auth:Oidc:DisplayName={displayName}",
    ];

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.Close();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }
}
