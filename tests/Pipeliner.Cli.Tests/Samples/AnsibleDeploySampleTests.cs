using System.Security.Cryptography;
using System.Text.Json;
using Pipeliner.Cli.Tests.Running;
using Pipeliner.Cli.Tests.Support;
using CliResult = Pipeliner.Cli.Tests.Running.CliResult;

namespace Pipeliner.Cli.Tests.Samples;

/// <summary>
/// The Ansible hand-off sample, run for real: <c>pipeliner run</c> on the shell backend packages the sample's
/// sources and runs <c>samples/ansible/deploy.yml</c> with Debian's ansible-playbook for DIT, QA and production, each
/// against an inventory of this machine (<c>connection: local</c>, a target folder per environment).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // Ansible controls from Linux (and macOS) only
public sealed class AnsibleDeploySampleTests : IDisposable
{
    private const string Token = "deploy-token-7c4a";
    private readonly RunWorkspace _workspace = new();

    [Fact]
    public void Run_DeploysTheSamePackageToEveryEnvironment_WhenPromotedThroughAnsible()
    {
        _ = AnsiblePlaybook.Executable;
        var targets = Path.Combine(_workspace.Root, "targets");
        var root = SamplePipelinesTests.RepositoryRootPath;
        var inventories = new[] { "dit", "qa", "prod" }.Select(environment => ($"ansible/inventories/{environment}.ini",
            $"[app_servers]\n127.0.0.1 ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n\n" +
            $"[app_servers:vars]\ndeploy_root={Path.Combine(targets, environment)}\n"));
        _workspace.Commit(File.ReadAllText(Path.Combine(root, "samples", "pipelines", "ansible-deploy.pipeliner.yml")),
        [
            ("ansible/deploy.yml", File.ReadAllText(Path.Combine(root, "samples", "ansible", "deploy.yml"))),
            .. inventories,
            ("src/app.py", "print('shop api')\n"),
            ("src/VERSION", "1.4.0\n"),
        ]);

        var result = CliResult.Run("run", "--repo", _workspace.Repository, "--data", _workspace.Data, "--backend", "shell",
            "--branch", "release/1.4", "--secret", $"DEPLOY_TOKEN={Token}", "--approve", "deploy-qa", "--approve", "deploy-prod");

        Assert.True(result.ExitCode == 0, result.ToString());
        var built = File.ReadAllText(Path.Combine(_workspace.Data, "runs", "1", "logs", "package", "1.log"));
        var packageDigest = built.Split('\n').Select(l => l.Length > 25 ? l[25..] : l).Single(l => l.EndsWith("  shop-api.tar.gz", StringComparison.Ordinal))[..64];
        foreach (var environment in new[] { "dit", "qa", "prod" })
        {
            var current = Path.Combine(targets, environment, "current");
            Assert.Equal(packageDigest, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(current, "shop-api.tar.gz")))));
            Assert.Equal("print('shop api')\n", File.ReadAllText(Path.Combine(current, "app", "app.py")));
            using var release = JsonDocument.Parse(File.ReadAllText(Path.Combine(current, "release.json")));
            Assert.Equal(environment, release.RootElement.GetProperty("environment").GetString());
            Assert.Equal(packageDigest, release.RootElement.GetProperty("sha256").GetString());
            Assert.StartsWith("1-", release.RootElement.GetProperty("release").GetString(), StringComparison.Ordinal);
            var credentials = Path.Combine(current, "deploy.env");
            Assert.Equal($"DEPLOY_TOKEN={Token}\n", File.ReadAllText(credentials));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(credentials));
            var log = File.ReadAllText(Path.Combine(_workspace.Data, "runs", "1", "logs", $"deploy-{environment}", "1.log"));
            Assert.Contains("$ ansible-playbook -i ansible/inventories/" + environment + ".ini ansible/deploy.yml", log, StringComparison.Ordinal);
            Assert.Matches(@"127\.0\.0\.1\s+: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=0", log);
            Assert.DoesNotContain(Token, log, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(Token, result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_FailsTheDeploy_WhenThePackageIsNotTheOneBuilt()
    {
        _ = AnsiblePlaybook.Executable;
        var targets = Path.Combine(_workspace.Root, "targets");
        var root = SamplePipelinesTests.RepositoryRootPath;
        var pipeline = File.ReadAllText(Path.Combine(root, "samples", "pipelines", "ansible-deploy.pipeliner.yml"))
            .Replace("      - cat dist/shop-api.tar.gz.sha256\n", "      - echo tampered >> dist/shop-api.tar.gz\n", StringComparison.Ordinal);
        _workspace.Commit(pipeline,
            ("ansible/deploy.yml", File.ReadAllText(Path.Combine(root, "samples", "ansible", "deploy.yml"))),
            ("ansible/inventories/dit.ini", $"[app_servers]\n127.0.0.1 ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n\n" +
                                            $"[app_servers:vars]\ndeploy_root={Path.Combine(targets, "dit")}\n"),
            ("src/app.py", "print('shop api')\n"));

        var result = CliResult.Run("run", "--repo", _workspace.Repository, "--data", _workspace.Data, "--backend", "shell",
            "--branch", "release/1.4", "--secret", $"DEPLOY_TOKEN={Token}");

        Assert.NotEqual(0, result.ExitCode);
        var log = File.ReadAllText(Path.Combine(_workspace.Data, "runs", "1", "logs", "deploy-dit", "1.log"));
        Assert.Contains("not the ", log, StringComparison.Ordinal);
        Assert.Contains("written when it was built", log, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(targets, "dit", "current")));
    }

    public void Dispose() => _workspace.Dispose();
}
