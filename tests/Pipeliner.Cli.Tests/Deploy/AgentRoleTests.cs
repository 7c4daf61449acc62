using Pipeliner.Cli.Tests.Support;

namespace Pipeliner.Cli.Tests.Deploy;

/// <summary>
/// <c>deploy/ansible/</c>: the playbook and role that install the agent as a systemd service pass Ansible's syntax
/// check and, applied in check mode to this machine, would make the user, directories, credentials file and unit.
/// No systemd runs here, so the check run does not start the service (<c>pipeliner_agent_start=false</c>).
/// </summary>
public sealed class AgentRoleTests : IDisposable
{
    private const string Token = "registration-token-5f1e";
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "pipeliner-ansible-" + Guid.NewGuid().ToString("N"));

    public AgentRoleTests()
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(Inventory, "[pipeliner_agents]\nlocalhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n");
    }

    private string Inventory => Path.Combine(_directory, "inventory.ini");

    private static string Playbook => Path.Combine(Samples.SamplePipelinesTests.RepositoryRootPath, "deploy", "ansible", "install-agent.yml");

    [Fact]
    public void InstallAgent_PassesTheSyntaxCheck_WhenCheckedByAnsible()
    {
        var result = AnsiblePlaybook.Run(_directory, "--syntax-check", "-i", Inventory, Playbook);

        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        Assert.Contains("playbook: " + Playbook, result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void InstallAgent_WouldInstallTheServiceWithTightCredentials_WhenAppliedInCheckMode()
    {
        var work = Path.Combine(_directory, "work");

        var result = AnsiblePlaybook.Run(_directory, "--check", "--diff", "-i", Inventory, Playbook,
            "-e", "pipeliner_agent_server_url=http://127.0.0.1:8080", "-e", $"pipeliner_agent_token={Token}",
            "-e", "pipeliner_agent_name=build-7", "-e", """{"pipeliner_agent_labels": ["linux", "docker", "perf"]}""",
            "-e", "pipeliner_agent_capacity=4", "-e", $"pipeliner_agent_work_dir={work}", "-e", "pipeliner_agent_start=false");

        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        Assert.Matches(@"localhost\s+: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=0", result.Out);
        Assert.Contains($"+ExecStart=/opt/pipeliner/pipeliner agent --server http://127.0.0.1:8080 --name build-7 --labels linux,docker,perf " +
                        $"--capacity 4 --work-dir {work} --backend docker", result.Out, StringComparison.Ordinal);
        Assert.Contains("+EnvironmentFile=/etc/pipeliner/agent.env", result.Out, StringComparison.Ordinal);
        Assert.Contains("TASK [pipeliner_agent : Credentials file]", result.Out, StringComparison.Ordinal);
        Assert.Contains($"\"path\": \"{work}\"", result.Out, StringComparison.Ordinal);
        // The token is never printed, not even in the diff of the credentials file.
        Assert.DoesNotContain(Token, result.Out + result.Error, StringComparison.Ordinal);
        // Check mode changed nothing.
        Assert.False(Directory.Exists(work));
    }

    [Fact]
    public void InstallAgent_StopsWithWhatIsMissing_WhenNoTokenIsGiven()
    {
        var result = AnsiblePlaybook.Run(_directory, "--check", "-i", Inventory, Playbook, "-e", "pipeliner_agent_server_url=http://127.0.0.1:8080");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("pipeliner_agent_token (non-empty)", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void CredentialsFileTask_WritesModeOwnerAndNoLog_WhenRead()
    {
        var tasks = File.ReadAllText(Path.Combine(Samples.SamplePipelinesTests.RepositoryRootPath, "deploy", "ansible", "roles", "pipeliner_agent", "tasks", "main.yml"));
        var credentials = tasks[tasks.IndexOf("- name: Credentials file", StringComparison.Ordinal)..];
        credentials = credentials[..credentials.IndexOf("\n- name:", StringComparison.Ordinal)];

        Assert.Contains("mode: \"0600\"", credentials, StringComparison.Ordinal);
        Assert.Contains("owner: \"{{ pipeliner_agent_user }}\"", credentials, StringComparison.Ordinal);
        Assert.Contains("no_log: true", credentials, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder must not fail a passing test.
        }
    }
}
