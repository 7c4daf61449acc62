using LibGit2Sharp;

namespace Pipeliner.Engine.Tests.Support;

/// <summary>A real git repository in a temp folder, on branch <c>main</c>, with helpers to commit files.</summary>
internal sealed class TestRepository : IDisposable
{
    public const string PipelineFile = ".pipeliner.yml";

    private static readonly Signature Author = new("Pipeliner Tests", "tests@pipeliner.invalid", DateTimeOffset.UnixEpoch);
    private readonly TempDirectory _directory = new("repo");

    public TestRepository()
    {
        Repository.Init(Path);
        // The branch name must not depend on the machine's git configuration.
        File.WriteAllText(System.IO.Path.Combine(Path, ".git", "HEAD"), "ref: refs/heads/main\n");
    }

    public string Path => _directory.Path;

    /// <summary>Writes the files (relative path → content), commits everything and returns the commit id.</summary>
    public string Commit(IReadOnlyDictionary<string, string> files, string message = "change")
    {
        foreach (var (relative, content) in files) WriteFile(relative, content);
        using var repository = new Repository(Path);
        Commands.Stage(repository, "*");
        var when = DateTimeOffset.UnixEpoch.AddMinutes(repository.Commits.Count());
        var signature = new Signature(Author.Name, Author.Email, when);
        return repository.Commit(message, signature, signature, new CommitOptions { AllowEmptyCommit = true }).Sha;
    }

    public string CommitPipeline(string yaml, params (string Path, string Content)[] files) =>
        Commit(files.Append((PipelineFile, yaml)).ToDictionary(f => f.Item1, f => f.Item2), "pipeline");

    /// <summary>Writes a symbolic link into the working tree (commit it with the next <see cref="Commit"/>).</summary>
    public void WriteSymbolicLink(string relative, string target) =>
        File.CreateSymbolicLink(System.IO.Path.Combine(Path, relative), target);

    /// <summary>Changes the working tree without committing.</summary>
    public void WriteFile(string relative, string content)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
    }

    public void Dispose() => _directory.Dispose();
}
