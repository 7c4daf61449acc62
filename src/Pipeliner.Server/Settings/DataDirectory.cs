namespace Pipeliner.Server.Settings;

/// <summary>Makes the server's data directory ready before anything opens a file in it.</summary>
public static class DataDirectory
{
    /// <summary>
    /// Creates <paramref name="configured"/> (relative to the working directory) with a <c>.gitignore</c> that keeps it
    /// out of any repository it lies in, and its <c>keys</c> folder (the Data Protection keys that decrypt every stored
    /// secret) readable by this user only. Returns the full path.
    /// </summary>
    public static string Prepare(string configured)
    {
        var root = Path.GetFullPath(configured);
        Directory.CreateDirectory(root);
        var ignore = Path.Combine(root, ".gitignore");
        if (!File.Exists(ignore)) File.WriteAllText(ignore, "# Pipeliner's data: never committed.\n*\n");
        var keys = Path.Combine(root, "keys");
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(keys);
        else if (!Directory.Exists(keys)) Directory.CreateDirectory(keys, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return root;
    }
}
