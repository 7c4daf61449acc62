using System.Diagnostics;

namespace Pipeliner.Server.Tests.Support;

/// <summary>A real git repository on disk, changed with the git command line as a developer would.</summary>
public sealed class GitRepository
{
    private GitRepository(string path) => Path = path;

    public string Path { get; }

    /// <summary>A new repository on branch <paramref name="branch"/> with one commit holding <paramref name="files"/>.</summary>
    public static GitRepository Create(string path, IReadOnlyDictionary<string, string> files, string branch = "main")
    {
        Directory.CreateDirectory(path);
        var repository = new GitRepository(path);
        repository.Git("init", "-q", "-b", branch);
        repository.Commit("initial commit", files.ToDictionary(f => f.Key, f => (string?)f.Value));
        return repository;
    }

    public static GitRepository WithPipeline(string path, string pipeline, string branch = "main") =>
        Create(path, new Dictionary<string, string> { [".pipeliner.yml"] = pipeline, ["README.md"] = "test repository\n" }, branch);

    /// <summary>Writes the files (null content deletes) and commits them; returns the new commit id.</summary>
    public string Commit(string message, IReadOnlyDictionary<string, string?> files)
    {
        foreach (var (name, content) in files)
        {
            var file = System.IO.Path.Combine(Path, name);
            if (content is null)
            {
                Git("rm", "-q", "--", name);
                continue;
            }

            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
            File.WriteAllText(file, content);
            Git("add", "--", name);
        }

        Git("commit", "-q", "--allow-empty", "-m", message);
        return Head();
    }

    public void CreateBranch(string name) => Git("checkout", "-q", "-b", name);

    public void Checkout(string name) => Git("checkout", "-q", name);

    public void Tag(string name) => Git("tag", name);

    public string Head() => Git("rev-parse", "HEAD").Trim();

    public string Git(params string[] args) => Run(Path, args);

    public static string Run(string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo("git")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        // A fixed identity and no user or system configuration: the same commits on every machine.
        info.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        info.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        info.Environment["GIT_AUTHOR_NAME"] = info.Environment["GIT_COMMITTER_NAME"] = "Pipeliner Tests";
        info.Environment["GIT_AUTHOR_EMAIL"] = info.Environment["GIT_COMMITTER_EMAIL"] = "tests@pipeliner.invalid";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60))) process.Kill(entireProcessTree: true);
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed ({process.ExitCode}): {error.Result}");
        return output.Result;
    }
}
