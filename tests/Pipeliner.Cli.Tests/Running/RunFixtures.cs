using Docker.DotNet;
using Docker.DotNet.Models;
using LibGit2Sharp;

namespace Pipeliner.Cli.Tests.Running;

/// <summary>The real Docker engine of <c>DOCKER_HOST</c>; without one the tests fail saying how to start it (never skip).</summary>
public sealed class CliDockerEngine : IAsyncLifetime
{
    public string Endpoint { get; } =
        Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///var/run/docker.sock";

    public DockerClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Client = new DockerClientConfiguration(new Uri(Endpoint)).CreateClient();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await Client.System.PingAsync(timeout.Token);
            await Client.Images.InspectImageAsync("alpine:3", timeout.Token);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException(
                $"`pipeliner run` tests need a real Docker engine with the test images at {Endpoint} ({e.GetBaseException().Message}). " +
                "Run 'bash deploy/dev/docker-engine.sh start' and 'bash deploy/dev/docker-engine.sh images' (as root) and export the " +
                "DOCKER_HOST printed, or run 'bash deploy/dev/test.sh'. These tests never skip.", e);
        }
    }

    public async Task<IList<ContainerListResponse>> ContainersOfRunOwnedByThisProcessAsync() =>
        (await Client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { ["io.pipeliner.managed=true"] = true },
            },
        })).Where(c => c.Labels["io.pipeliner.owner"].StartsWith($"{Pipeliner.Engine.Backends.OwnerIdentity.LocalHost}/{Environment.ProcessId}/", StringComparison.Ordinal)).ToList();

    public Task DisposeAsync()
    {
        Client.Dispose();
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class CliDockerCollection : ICollectionFixture<CliDockerEngine>
{
    public const string Name = "pipeliner run on docker";
}

/// <summary>A real git repository on branch main in a temp folder, and a data folder beside it.</summary>
internal sealed class RunWorkspace : IDisposable
{
    public RunWorkspace()
    {
        Root = Path.Combine(Path.GetTempPath(), "pipeliner-cli-tests", Guid.NewGuid().ToString("N"));
        Repository = Path.Combine(Root, "repo");
        Data = Path.Combine(Root, "data");
        LibGit2Sharp.Repository.Init(Repository);
        File.WriteAllText(Path.Combine(Repository, ".git", "HEAD"), "ref: refs/heads/main\n");
    }

    public string Root { get; }
    public string Repository { get; }
    public string Data { get; }

    public string Commit(string pipeline, params (string Path, string Content)[] files)
    {
        Write(".pipeliner.yml", pipeline);
        foreach (var (path, content) in files) Write(path, content);
        using var repository = new LibGit2Sharp.Repository(Repository);
        LibGit2Sharp.Commands.Stage(repository, "*");
        var signature = new Signature("Tests", "tests@pipeliner.invalid", DateTimeOffset.UnixEpoch.AddMinutes(repository.Commits.Count()));
        return repository.Commit("change", signature, signature, new CommitOptions()).Sha;
    }

    public void Write(string relative, string content)
    {
        var path = Path.Combine(Repository, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    public string WriteOutside(string name, string content)
    {
        var path = Path.Combine(Root, name);
        File.WriteAllText(path, content);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temp folder must not fail a passing test.
        }
    }
}

/// <summary>What one <c>pipeliner</c> invocation printed and returned.</summary>
internal sealed record CliResult(int ExitCode, string Output, string Error)
{
    public static CliResult Run(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var run = Task.Run(() => CliApp.Run(args, new CliConsole(output, error)));
        // A hang must fail the test, not stall the suite.
        if (!run.Wait(TimeSpan.FromMinutes(3))) throw new TimeoutException($"pipeliner {string.Join(' ', args)} did not finish:\n{output}\n{error}");
        return new CliResult(run.Result, output.ToString(), error.ToString());
    }

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}--- stderr\n{Error}";
}
