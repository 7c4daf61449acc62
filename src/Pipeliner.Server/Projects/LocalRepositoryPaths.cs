namespace Pipeliner.Server.Projects;

/// <summary>
/// Which local paths may be a project's repository: never one inside the server's data directory (other projects'
/// mirrors, the database, logs) nor on a special file system (/proc, /sys, /dev…). Symbolic links are followed to
/// where they lead, and so are a <c>.git</c> file's <c>gitdir:</c> and the object alternates a repository borrows from.
/// </summary>
public static class LocalRepositoryPaths
{
    private static readonly string[] SpecialDirectories = ["/proc", "/sys", "/dev"];

    private static readonly HashSet<string> SpecialFileSystems = new(StringComparer.Ordinal)
    {
        "proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "securityfs", "debugfs", "tracefs", "configfs", "fusectl",
        "mqueue", "hugetlbfs", "pstore", "bpf", "binfmt_misc", "efivarfs", "autofs", "rpc_pipefs", "nsfs",
    };

    /// <summary>Why <paramref name="path"/> may not be a repository; null when it may.</summary>
    public static string? WhyRefused(string path, string dataDirectory) => WhyRefused(path, RealPath(dataDirectory), depth: 0);

    private static string? WhyRefused(string path, string dataDirectory, int depth)
    {
        // Every place the way passes counts, not only where it ends: /proc/PID/root leads into another process's files.
        var passed = new List<string>();
        var real = RealPath(path, passed);
        var shown = real == Path.GetFullPath(path) ? $"'{real}'" : $"'{path}' (which leads to '{real}')";
        if (passed.Any(p => IsWithin(p, dataDirectory)))
            return $"{shown} is inside the server's data directory, where other projects' mirrors and the server's own files are";
        if (SpecialDirectories.FirstOrDefault(special => passed.Any(p => IsWithin(p, special))) is { } directory)
            return $"{shown} is on a special file system ({directory})";
        if (passed.Select(FileSystemOf).FirstOrDefault(type => type is not null && SpecialFileSystems.Contains(type)) is { } type)
            return $"{shown} is on a special file system ({type})";
        if (depth > 2) return null;
        return GitDirectories(real).Select(linked => WhyRefused(linked, dataDirectory, depth + 1)).FirstOrDefault(why => why is not null);
    }

    /// <summary>Where git reads from besides the path: the directory a <c>.git</c> file names, and its object alternates.</summary>
    private static IEnumerable<string> GitDirectories(string repository)
    {
        var gitDirectory = repository;
        var dotGit = Path.Combine(repository, ".git");
        if (File.Exists(dotGit) && File.ReadLines(dotGit).FirstOrDefault() is { } line && line.StartsWith("gitdir:", StringComparison.Ordinal))
        {
            gitDirectory = Path.GetFullPath(line["gitdir:".Length..].Trim(), repository);
            yield return gitDirectory;
        }
        else if (Directory.Exists(dotGit))
        {
            gitDirectory = dotGit;
        }

        var objects = Path.Combine(gitDirectory, "objects");
        var alternates = Path.Combine(objects, "info", "alternates");
        if (!File.Exists(alternates)) yield break;
        foreach (var alternate in File.ReadLines(alternates).Where(l => l.Length > 0 && !l.StartsWith('#')))
            yield return Path.GetFullPath(alternate.Trim(), objects);
    }

    /// <summary>The absolute path with every symbolic link on the way resolved.</summary>
    /// <param name="passed">Collects every path the resolution went through, links and their targets.</param>
    public static string RealPath(string path, List<string>? passed = null, int depth = 0)
    {
        var full = Path.GetFullPath(path);
        passed?.Add(full);
        var root = Path.GetPathRoot(full) ?? "/";
        var current = root;
        foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            if (depth < 40 && new FileInfo(current).LinkTarget is { } target)
                current = RealPath(Path.GetFullPath(target, Path.GetDirectoryName(current) ?? root), passed, depth + 1);
        }

        passed?.Add(current);
        return current;
    }

    private static bool IsWithin(string path, string directory) =>
        path == directory || path.StartsWith(directory.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>The type of the file system <paramref name="path"/> is on, from the kernel's mount table (null off Linux).</summary>
    private static string? FileSystemOf(string path)
    {
        const string MountInfo = "/proc/self/mountinfo";
        if (!File.Exists(MountInfo)) return null;
        string? type = null;
        var longest = -1;
        foreach (var line in File.ReadLines(MountInfo))
        {
            // "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw": the fifth field is the mount point,
            // the first after " - " the type; spaces in paths are written \040.
            var fields = line.Split(' ');
            var separator = Array.IndexOf(fields, "-");
            if (fields.Length < 5 || separator < 0 || separator + 1 >= fields.Length) continue;
            var mountPoint = fields[4].Replace("\\040", " ", StringComparison.Ordinal);
            if (mountPoint.Length > longest && IsWithin(path, mountPoint))
            {
                longest = mountPoint.Length;
                type = fields[separator + 1];
            }
        }

        return type;
    }
}
