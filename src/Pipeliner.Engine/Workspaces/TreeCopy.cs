namespace Pipeliner.Engine.Workspaces;

/// <summary>
/// Copies a directory tree: files as independent copies (a reflink where the file system offers one, never a hard
/// link, so that a job changing its copy cannot change the original), symbolic links as links, modes kept.
/// </summary>
internal static class TreeCopy
{
    public static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var entry in new DirectoryInfo(from).EnumerateFileSystemInfos())
        {
            var target = Path.Combine(to, entry.Name);
            if (entry.LinkTarget is { } link) File.CreateSymbolicLink(target, link);
            else if (entry is DirectoryInfo directory) Copy(directory.FullName, target);
            else File.Copy(entry.FullName, target);
        }
    }
}
