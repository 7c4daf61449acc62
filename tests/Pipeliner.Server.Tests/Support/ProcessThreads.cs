namespace Pipeliner.Server.Tests.Support;

/// <summary>A process's threads as Linux's /proc shows them.</summary>
public static class ProcessThreads
{
    /// <summary>The process's threads: id, name (/proc's, at most 15 characters) and nice value (stat's 19th field).</summary>
    public static List<(int Id, string Name, int Nice)> Of(int pid)
    {
        var found = new List<(int, string, int)>();
        foreach (var task in Directory.GetDirectories($"/proc/{pid}/task"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var name = File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n');
                found.Add((int.Parse(Path.GetFileName(task)), name, int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16])));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The thread ended meanwhile.
            }
        }

        return found;
    }
}
