using System.Formats.Tar;
using System.Security.Cryptography;
using Pipeliner.Engine.Storage;
using Pipeliner.Engine.Tests.Support;
using Pipeliner.Engine.Workspaces;

namespace Pipeliner.Engine.Tests.Storage;

public sealed class ArchiveFolderTests : IDisposable
{
    private readonly TempDirectory _temp = new("archives");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task RestoreAsync_RecreatesDirectoriesAndFiles_WhenWrittenFromDockerStyleTars()
    {
        var source = _temp.Combine("source");
        Write(source, "build/out/app.bin", "binary");
        Write(source, "build/out/sub/readme.txt", "nested");
        Write(source, "report.txt", "42 passed");
        var folder = _temp.Combine("artifacts", "build");

        var saved = await ArchiveFolder.WriteAsync(folder,
            [("build/out/", DirectoryTar(Path.Combine(source, "build/out"))), ("report.txt", FileTar(Path.Combine(source, "report.txt")))],
            CancellationToken.None);
        var workspace = _temp.Combine("workspace");
        Directory.CreateDirectory(workspace);
        await new ArchiveFolder(folder).RestoreAsync(workspace, CancellationToken.None);

        Assert.Equal(["build/out/", "report.txt"], saved.Select(s => s.Path));
        Assert.Equal("binary", await File.ReadAllTextAsync(Path.Combine(workspace, "build/out/app.bin")));
        Assert.Equal("nested", await File.ReadAllTextAsync(Path.Combine(workspace, "build/out/sub/readme.txt")));
        Assert.Equal("42 passed", await File.ReadAllTextAsync(Path.Combine(workspace, "report.txt")));
    }

    [Fact]
    public async Task WriteAsync_RecordsSizeAndSha256InManifest_WhenArchivesAreSaved()
    {
        var source = _temp.Combine("source");
        Write(source, "dist/a.txt", "a");
        var folder = _temp.Combine("artifacts", "package");

        var saved = await ArchiveFolder.WriteAsync(folder, [("dist", DirectoryTar(Path.Combine(source, "dist")))], CancellationToken.None);

        var entry = Assert.Single(new ArchiveFolder(folder).Read());
        Assert.Equal(saved.Single(), entry);
        var bytes = await File.ReadAllBytesAsync(Path.Combine(folder, entry.File));
        Assert.Equal(bytes.Length, entry.Size);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), entry.Sha256);
    }

    [Fact]
    public async Task WriteAsync_RefusesAndKeepsNothingNew_WhenArchivesTogetherPassTheLimit()
    {
        var source = _temp.Combine("source");
        Write(source, "small/a.txt", "kept from before");
        Write(source, "big/one.bin", new string('x', 40_000));
        Write(source, "big2/two.bin", new string('y', 40_000));
        var folder = _temp.Combine("artifacts", "capped");
        var before = await ArchiveFolder.WriteAsync(folder, [("small", DirectoryTar(Path.Combine(source, "small")))], CancellationToken.None);

        // Each archive alone is within 64 KiB; together they are not.
        var refused = await Assert.ThrowsAsync<ArchiveTooLargeException>(() => ArchiveFolder.WriteAsync(folder,
            [("big", DirectoryTar(Path.Combine(source, "big"))), ("big2", DirectoryTar(Path.Combine(source, "big2")))],
            CancellationToken.None, maxBytes: 64 * 1024));

        Assert.Equal(64 * 1024, refused.MaxBytes);
        Assert.Equal(before, new ArchiveFolder(folder).Read());
        Assert.Equal([folder], Directory.GetDirectories(Path.GetDirectoryName(folder)!));
    }

    [Fact]
    public async Task WriteAsync_SavesArchives_WhenTheyAreWithinTheLimit()
    {
        var source = _temp.Combine("source");
        Write(source, "dist/a.txt", new string('a', 10_000));
        var folder = _temp.Combine("artifacts", "within");

        var saved = await ArchiveFolder.WriteAsync(folder, [("dist", DirectoryTar(Path.Combine(source, "dist")))], CancellationToken.None, maxBytes: 64 * 1024);

        Assert.Equal(saved, new ArchiveFolder(folder).Read());
    }

    [Fact]
    public async Task WriteAsync_ReplacesEarlierContent_WhenFolderIsWrittenAgain()
    {
        var source = _temp.Combine("source");
        Write(source, "old/x.txt", "old");
        Write(source, "new/y.txt", "new");
        var folder = _temp.Combine("cache", "key");

        await ArchiveFolder.WriteAsync(folder, [("old", DirectoryTar(Path.Combine(source, "old")))], CancellationToken.None);
        await ArchiveFolder.WriteAsync(folder, [("new", DirectoryTar(Path.Combine(source, "new")))], CancellationToken.None);
        var workspace = _temp.Combine("workspace");
        await new ArchiveFolder(folder).RestoreAsync(workspace, CancellationToken.None);

        Assert.Equal(["new"], new ArchiveFolder(folder).Read().Select(e => e.Path));
        Assert.False(Directory.Exists(Path.Combine(workspace, "old")));
        Assert.True(File.Exists(Path.Combine(workspace, "new/y.txt")));
        Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(folder)!, "*.tmp-*"));
    }

    [Fact]
    public async Task RestoreAsync_RefusesTheArchive_WhenItsBytesDoNotMatchTheRecordedDigest()
    {
        var source = _temp.Combine("source");
        Write(source, "dist/app.txt", "release 1");
        var folder = _temp.Combine("artifacts", "package");
        var saved = await ArchiveFolder.WriteAsync(folder, [("dist", DirectoryTar(Path.Combine(source, "dist")))], CancellationToken.None);
        var tar = Path.Combine(folder, saved.Single().File);
        var bytes = await File.ReadAllBytesAsync(tar);
        bytes[600] ^= 0x20;
        await File.WriteAllBytesAsync(tar, bytes);
        var workspace = _temp.Combine("workspace");
        Directory.CreateDirectory(workspace);

        var error = await Assert.ThrowsAsync<WorkspaceException>(() => new ArchiveFolder(folder).RestoreAsync(workspace, CancellationToken.None));

        Assert.Contains("not the recorded", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(workspace, "dist")));
    }

    [Fact]
    public async Task RestoreAsync_OverwritesFilesFromTheCheckout_WhenArchiveHasTheSamePath()
    {
        var source = _temp.Combine("source");
        Write(source, "out/file.txt", "from artifact");
        var folder = _temp.Combine("artifacts", "a");
        await ArchiveFolder.WriteAsync(folder, [("out", DirectoryTar(Path.Combine(source, "out")))], CancellationToken.None);
        var workspace = _temp.Combine("workspace");
        Write(workspace, "out/file.txt", "from checkout");

        await new ArchiveFolder(folder).RestoreAsync(workspace, CancellationToken.None);

        Assert.Equal("from artifact", await File.ReadAllTextAsync(Path.Combine(workspace, "out/file.txt")));
    }

    [Fact]
    public async Task RestoreAsync_RefusesAndWritesNothingOutside_WhenAPathGoesThroughALinkInTheWorkspace()
    {
        var source = _temp.Combine("source");
        Write(source, "reports/cron.d/job", "* * * * * root evil");
        var folder = _temp.Combine("artifacts", "a");
        await ArchiveFolder.WriteAsync(folder, [("reports/cron.d/", DirectoryTar(Path.Combine(source, "reports/cron.d")))], CancellationToken.None);
        var outside = _temp.Combine("outside");
        Directory.CreateDirectory(outside);
        var workspace = _temp.Combine("workspace");
        Directory.CreateDirectory(workspace);
        // What a checkout gives for a committed symbolic link.
        File.CreateSymbolicLink(Path.Combine(workspace, "reports"), outside);

        var error = await Assert.ThrowsAsync<WorkspaceException>(() => new ArchiveFolder(folder).RestoreAsync(workspace, CancellationToken.None));

        Assert.Equal("cannot restore 'reports/cron.d/': 'reports' in the workspace is a symbolic link", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }

    [Fact]
    public async Task Read_ReturnsNothing_WhenFolderDoesNotExist()
    {
        var folder = new ArchiveFolder(_temp.Combine("missing"));

        Assert.Empty(folder.Read());
        await folder.RestoreAsync(_temp.Combine("workspace"), CancellationToken.None);
    }

    [Fact]
    public async Task WriteAsync_LeavesOneCompleteFolder_WhenSeveralJobsSaveTheSameCacheAtOnce()
    {
        var source = _temp.Combine("source");
        Write(source, "deps/lib.txt", "library");
        var folder = _temp.Combine("cache", "project", "shared-key");

        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() =>
            ArchiveFolder.WriteAsync(folder, [("deps", DirectoryTar(Path.Combine(source, "deps")))], CancellationToken.None))));

        var workspace = _temp.Combine("workspace");
        await new ArchiveFolder(folder).RestoreAsync(workspace, CancellationToken.None);
        Assert.Equal("library", await File.ReadAllTextAsync(Path.Combine(workspace, "deps/lib.txt")));
        Assert.Equal(["shared-key"], Directory.GetDirectories(Path.GetDirectoryName(folder)!).Select(Path.GetFileName));
    }

    private static void Write(string root, string relative, string content)
    {
        var path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    /// <summary>A tar with the directory's name at its root, as Docker's archive API returns it.</summary>
    private static MemoryStream DirectoryTar(string directory)
    {
        var tar = new MemoryStream();
        TarFile.CreateFromDirectory(directory, tar, includeBaseDirectory: true);
        tar.Position = 0;
        return tar;
    }

    private static MemoryStream FileTar(string file)
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, leaveOpen: true)) writer.WriteEntry(file, Path.GetFileName(file));
        tar.Position = 0;
        return tar;
    }
}
