namespace Pipeliner.Web.Tests.Support;

/// <summary>A local git repository the server builds from (its path is the project's repository).</summary>
public sealed class GitRepository(string path)
{
    public string Path { get; } = path;

    public static async Task<GitRepository> CreateAsync(string path)
    {
        Directory.CreateDirectory(path);
        var repository = new GitRepository(path);
        await repository.GitAsync("init -q -b main");
        await repository.GitAsync("config user.name \"Dana Developer\"");
        await repository.GitAsync("config user.email dana@example.com");
        await repository.GitAsync("config commit.gpgsign false");
        return repository;
    }

    /// <summary>Writes the files and commits them on the current branch; returns the commit id.</summary>
    public async Task<string> CommitAsync(string message, params (string Name, string Content)[] files)
    {
        foreach (var (name, content) in files) await File.WriteAllTextAsync(System.IO.Path.Combine(Path, name), content);
        await GitAsync("add -A");
        await GitAsync($"commit -q -m \"{message}\"");
        return (await GitAsync("rev-parse HEAD")).Trim();
    }

    public Task<string> GitAsync(string arguments) => RunAsync(arguments);

    private async Task<string> RunAsync(string arguments)
    {
        var result = await Processes.RunAsync("git", arguments, Path, TimeSpan.FromMinutes(1));
        if (result.ExitCode != 0) throw new InvalidOperationException($"git {arguments} failed: {result}");
        return result.Output;
    }
}
