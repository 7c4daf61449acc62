using System.Diagnostics;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Pipeliner.Server.Tests.Deploy;

/// <summary>
/// <c>deploy/compose/compose.yaml</c> as docker-compose itself reads it (<c>docker-compose config</c>: the Compose schema,
/// references between services, variables), then checked for what the deployment needs: one migration before two
/// replicas on PostgreSQL, a load balancer over exactly those replicas, and two agents that reach the servers through it.
/// docker-compose comes from <c>deploy/dev/compose.sh</c> (Debian's package).
/// </summary>
public sealed partial class ComposeFileTests
{
    private static readonly string ComposeDirectory = Path.Combine(RepositoryRoot(), "deploy", "compose");

    [Fact]
    public async Task ComposeFile_ResolvesToPostgresTwoReplicasALoadBalancerAndTwoAgents_WhenValidatedByDockerCompose()
    {
        var (exitCode, output, errors) = await ConfigAsync(new Dictionary<string, string?>
        {
            ["PIPELINER_DB_PASSWORD"] = "db-pass-for-test", ["PIPELINER_AGENT_TOKEN"] = "plr_agent-token",
        });
        Assert.True(exitCode == 0, errors);

        var services = (YamlMappingNode)Load(output)["services"];
        Assert.Equal(["agent-1", "agent-2", "lb", "migrate", "postgres", "server-1", "server-2"], services.Children.Keys.Select(k => k.ToString()).Order());

        var migrate = (YamlMappingNode)services["migrate"];
        Assert.Contains("--Pipeliner:Database:MigrateOnly=true", Strings(migrate["command"]));
        Assert.Equal("service_healthy", Scalar(migrate, "depends_on", "postgres", "condition"));
        foreach (var name in new[] { "migrate", "server-1", "server-2" })
        {
            var server = (YamlMappingNode)services[name];
            Assert.Equal("postgres", Scalar(server, "environment", "Pipeliner__Database__Provider"));
            Assert.Equal("Host=postgres;Database=pipeliner;Username=pipeliner;Password=db-pass-for-test", Scalar(server, "environment", "ConnectionStrings__Pipeliner"));
            Assert.StartsWith("pipeliner/server:", Scalar(server, "image"), StringComparison.Ordinal);
        }

        foreach (var name in new[] { "server-1", "server-2" })
        {
            var server = (YamlMappingNode)services[name];
            Assert.Equal("service_completed_successfully", Scalar(server, "depends_on", "migrate", "condition"));
            Assert.Equal("0", Scalar(server, "environment", "Pipeliner__Agent__Capacity"));
        }

        // Each replica has a data directory of its own: they share nothing but the database.
        Assert.NotEqual(Strings(((YamlMappingNode)services["server-1"])["volumes"]).Single(), Strings(((YamlMappingNode)services["server-2"])["volumes"]).Single());

        // The load balancer sends to exactly the two replicas, on the port the server image listens on.
        var upstreams = UpstreamServer().Matches(await File.ReadAllTextAsync(Path.Combine(ComposeDirectory, "nginx.conf"))).Select(m => m.Groups[1].Value);
        Assert.Equal(["server-1:8080", "server-2:8080"], upstreams.Order());

        var agents = new[] { "agent-1", "agent-2" }.Select(name => (YamlMappingNode)services[name]).ToList();
        Assert.All(agents, agent =>
        {
            var command = Strings(agent["command"]);
            Assert.Equal("agent", command[0]);
            Assert.Contains("--server=http://lb", command);
            Assert.Equal("plr_agent-token", Scalar(agent, "environment", "PIPELINER_AGENT_TOKEN"));
        });
        Assert.Equal(2, agents.Select(agent => Strings(agent["command"]).Single(a => a.StartsWith("--name=", StringComparison.Ordinal))).Distinct().Count());
    }

    [Fact]
    public async Task ComposeFile_IsRefusedNamingTheVariable_WhenTheDatabasePasswordIsUnset()
    {
        var (exitCode, _, errors) = await ConfigAsync(new Dictionary<string, string?> { ["PIPELINER_DB_PASSWORD"] = null });

        Assert.NotEqual(0, exitCode);
        Assert.Contains("set PIPELINER_DB_PASSWORD", errors, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output, string Errors)> ConfigAsync(IReadOnlyDictionary<string, string?> environment)
    {
        var info = new ProcessStartInfo("docker-compose", ["-f", Path.Combine(ComposeDirectory, "compose.yaml"), "config"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = ComposeDirectory,
        };
        foreach (var (name, value) in environment)
        {
            if (value is null) info.Environment.Remove(name);
            else info.Environment[name] = value;
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("docker-compose is needed for this test: bash deploy/dev/compose.sh installs it", e);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, await output, await errors);
        }
    }

    private static YamlMappingNode Load(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    private static string Scalar(YamlMappingNode node, params string[] path)
    {
        YamlNode current = node;
        foreach (var key in path) current = ((YamlMappingNode)current)[key];
        return ((YamlScalarNode)current).Value!;
    }

    private static List<string> Strings(YamlNode node) => ((YamlSequenceNode)node).Children.Select(c => ((YamlScalarNode)c).Value!).ToList();

    [GeneratedRegex(@"^\s*server\s+([\w.-]+:\d+)", RegexOptions.Multiline)]
    private static partial Regex UpstreamServer();

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Pipeliner.sln"))) return directory.FullName;
        }

        throw new InvalidOperationException($"no Pipeliner.sln above {AppContext.BaseDirectory}");
    }
}
