using Pipeliner.TestSupport.Git;

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

    public static string Run(string workingDirectory, params string[] args) => ToolProcess.RunIn(workingDirectory, "git", args);
}
