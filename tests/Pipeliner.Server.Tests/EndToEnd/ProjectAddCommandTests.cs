using System.Diagnostics;
using System.Net.Http.Json;
using System.Reflection;
using Pipeliner.Server.Tests.Support;
using Pipeliner.TestSupport.Git;

namespace Pipeliner.Server.Tests.EndToEnd;

/// <summary><c>pipeliner project add</c>, the real command, against the real server process (one for the class).</summary>
public sealed class ProjectAddCommandTests(SharedServerProcess shared) : IClassFixture<SharedServerProcess>, IDisposable
{
    private readonly TempDirectory _directory = new("pipeliner-project-add-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task ProjectAdd_RegistersTheProject_WhenRunAgainstTheServer()
    {
        var repository = GitRepository.WithPipeline(_directory.Combine("repo"), Pipelines.BuildAndTest);
        var server = shared.Server;

        var (exit, output, error) = await PipelinerAsync("project", "add", "--server", server.BaseAddress.ToString(),
            "--token", ServerProcess.AdminToken, "--name", "shop", "--repository", repository.Path, "--forge", "gitlab",
            "--webhook-secret", "a-long-webhook-secret", "--default-branch", "main",
            "--forge-api-url", "https://gitlab.example.com/api/v4", "--forge-token", "glpat-forge-token");

        Assert.True(exit == 0, $"exit {exit}: {output} {error}");
        Assert.Contains($"point the gitlab webhook at {server.BaseAddress}hooks/shop", output);
        using var client = server.Client();
        var project = await client.GetFromJsonAsync<ProjectView>("/api/projects/shop", Api.Json);
        Assert.Equal(("shop", "gitlab", repository.Path), (project!.Name, project.Forge, project.Repository));
        Assert.Equal(("https://gitlab.example.com/api/v4", true), (project.ForgeApiUrl, project.HasForgeToken));

        var (again, _, refusal) = await PipelinerAsync("project", "add", "--server", server.BaseAddress.ToString(),
            "--token", ServerProcess.AdminToken, "--name", "shop", "--repository", repository.Path, "--forge", "gitlab",
            "--webhook-secret", "a-long-webhook-secret");
        Assert.Equal(1, again);
        Assert.Contains("exists already", refusal);
    }

    [Fact]
    public async Task ProjectUpdate_SetsAndRemovesSshCredentials_WhenRunAgainstTheServer()
    {
        var server = shared.Server;
        var key = _directory.Combine("id_ed25519");
        ToolProcess.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key);
        File.WriteAllText(_directory.Combine("known_hosts"), "git.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n");
        string[] connection = ["--server", server.BaseAddress.ToString(), "--token", ServerProcess.AdminToken, "--name", "shop-ssh"];
        var (added, _, addError) = await PipelinerAsync(["project", "add", .. connection, "--repository", "git@git.example.com:shop/api.git",
            "--forge", "gitea", "--webhook-secret", "a-long-webhook-secret"]);
        Assert.True(added == 0, addError);

        var (exit, output, error) = await PipelinerAsync(["project", "update", .. connection,
            "--ssh-key-file", key, "--known-hosts-file", _directory.Combine("known_hosts")]);

        Assert.True(exit == 0, $"exit {exit}: {output} {error}");
        Assert.Contains("project 'shop-ssh' updated; repository credentials: ssh", output);
        using var client = server.Client();
        Assert.Equal("ssh", (await client.GetFromJsonAsync<ProjectView>("/api/projects/shop-ssh", Api.Json))!.CredentialsKind);
        var (removed, removedOutput, _) = await PipelinerAsync(["project", "update", .. connection, "--remove-credentials"]);
        Assert.Equal(0, removed);
        Assert.Contains("repository credentials: none", removedOutput);
        Assert.Null((await client.GetFromJsonAsync<ProjectView>("/api/projects/shop-ssh", Api.Json))!.CredentialsKind);
    }

    private static async Task<(int Exit, string Output, string Error)> PipelinerAsync(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(CliDll());
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await output, await error);
    }

    private static string CliDll()
    {
        var configuration = typeof(ProjectAddCommandTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var dll = Path.Combine(directory.FullName, "src", "Pipeliner.Cli", "bin", configuration, "net10.0", "pipeliner.dll");
            if (File.Exists(Path.Combine(directory.FullName, "Pipeliner.sln"))) return dll;
        }

        throw new FileNotFoundException("Pipeliner.sln not found above the test assembly");
    }
}
