using System.Formats.Tar;
using Pipeliner.Engine.Tests.Support;
using Pipeliner.Engine.Workspaces;

namespace Pipeliner.Engine.Tests.Workspaces;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CommitTreeTarTests : IDisposable
{
    private readonly TestRepository _repository = new();
    private readonly TempDirectory _temp = new("tree-tar");

    public void Dispose()
    {
        _repository.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void Write_GivesTheTreeACheckoutGives_WhenTheCommitHasFoldersExecutablesAndLinks()
    {
        _repository.WriteFile("run.sh", "#!/bin/sh\necho hi\n");
        File.SetUnixFileMode(Path.Combine(_repository.Path, "run.sh"), (UnixFileMode)0b111_101_101);
        _repository.WriteSymbolicLink("link.txt", "src/deep/a.txt");
        var commit = _repository.Commit(new Dictionary<string, string> { ["src/deep/a.txt"] = "line 1\nline 2\n", ["b.txt"] = "b" });
        _repository.Commit(new Dictionary<string, string> { ["later.txt"] = "not in the commit" });

        var extracted = WriteAndExtract(commit, out var checkout);

        Assert.Equal(Listing(checkout), Listing(extracted));
        Assert.True(File.GetUnixFileMode(Path.Combine(extracted, "run.sh")).HasFlag(UnixFileMode.UserExecute));
        Assert.False(File.GetUnixFileMode(Path.Combine(extracted, "src/deep/a.txt")).HasFlag(UnixFileMode.UserExecute));
        Assert.Equal("src/deep/a.txt", new FileInfo(Path.Combine(extracted, "link.txt")).LinkTarget);
        Assert.False(File.Exists(Path.Combine(extracted, "later.txt")));
        Assert.False(Directory.Exists(Path.Combine(extracted, ".git")));
    }

    [Fact]
    public void Write_AppliesTheAttributesFilters_WhenTheTreeHasAGitattributesFile()
    {
        var commit = _repository.Commit(new Dictionary<string, string>
        {
            ["tools/windows.cmd"] = "echo one\necho two\n",
            ["tools/.gitattributes"] = "*.cmd text eol=crlf\n",
        });

        var extracted = WriteAndExtract(commit, out var checkout);

        Assert.Equal(Listing(checkout), Listing(extracted));
        Assert.Equal("echo one\r\necho two\r\n", File.ReadAllText(Path.Combine(extracted, "tools", "windows.cmd")));
        Assert.False(Directory.Exists(_temp.Combine("scratch")));
    }

    private string WriteAndExtract(string commit, out string checkout)
    {
        var mirror = new GitRepositoryMirror(_repository.Path, _temp.Combine("mirror.git"));
        mirror.Update();
        checkout = _temp.Combine("checkout");
        mirror.CheckOut(commit, checkout);

        using (var output = File.Create(_temp.Combine("tree.tar"))) CommitTreeTar.Write(mirror, commit, output, _temp.Combine("scratch"));
        var extracted = _temp.Combine("extracted");
        Directory.CreateDirectory(extracted);
        TarFile.ExtractToDirectory(_temp.Combine("tree.tar"), extracted, overwriteFiles: false);
        return extracted;
    }

    [Fact]
    public void Write_ThrowsWorkspaceException_WhenTheCommitIsNotInTheRepository()
    {
        _repository.Commit(new Dictionary<string, string> { ["a.txt"] = "a" });
        var mirror = new GitRepositoryMirror(_repository.Path, _temp.Combine("mirror.git"));
        mirror.Update();

        var error = Assert.Throws<WorkspaceException>(() => CommitTreeTar.Write(mirror, new string('0', 40), Stream.Null, _temp.Combine("scratch")));

        Assert.Contains("no commit", error.Message);
    }

    /// <summary>Every path under <paramref name="root"/> except <c>.git</c>, with what it holds: content, link target or folder.</summary>
    private static List<string> Listing(string root) =>
        Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(root, path))
            .Where(relative => relative != ".git" && !relative.StartsWith(".git/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(relative =>
            {
                var full = Path.Combine(root, relative);
                var info = new FileInfo(full);
                if (info.LinkTarget is { } target) return $"{relative} -> {target}";
                if (Directory.Exists(full)) return $"{relative}/";
                var executable = File.GetUnixFileMode(full).HasFlag(UnixFileMode.UserExecute) ? " (x)" : "";
                return $"{relative}{executable}: {File.ReadAllText(full)}";
            })
            .ToList();
}
