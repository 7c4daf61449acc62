using System.Text;

namespace Pipeliner.Engine.Backends;

/// <summary>
/// Turns a job's commands into one POSIX shell script run by <c>sh -e</c>: each command is echoed as
/// <c>$ command</c> before it runs, stderr joins stdout so the log keeps their order, the first failure stops.
/// </summary>
public static class ScriptBuilder
{
    public static string Build(IReadOnlyList<string> commands)
    {
        var script = new StringBuilder("exec 2>&1\nset -e\n");
        foreach (var command in commands)
        {
            foreach (var line in command.Split('\n'))
                script.Append("printf '%s\\n' ").Append(Quote("$ " + line)).Append('\n');
            script.Append(command).Append('\n');
        }

        return script.ToString();
    }

    /// <summary>Single-quotes a string for sh: the only character needing care is the quote itself.</summary>
    public static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
