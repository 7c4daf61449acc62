using System.Diagnostics;

namespace Pipeliner.TestSupport.Git;

/// <summary>Runs a command-line tool (git, ssh-keygen) to its end and gives its output; a failure throws with its error output.</summary>
public static class ToolProcess
{
    public static string Run(string file, params string[] arguments) => RunIn(null, file, arguments);

    public static string RunIn(string? workingDirectory, string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        // No user or system git configuration: the same behaviour on every machine.
        info.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        info.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        info.Environment["GIT_AUTHOR_NAME"] = info.Environment["GIT_COMMITTER_NAME"] = "Pipeliner Tests";
        info.Environment["GIT_AUTHOR_EMAIL"] = info.Environment["GIT_COMMITTER_EMAIL"] = "tests@pipeliner.invalid";
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60))) process.Kill(entireProcessTree: true);
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {error.Result}");
        return output.Result;
    }

    /// <summary>A bare repository at <paramref name="path"/> whose branch <paramref name="branch"/> holds <paramref name="files"/>; returns the commit id.</summary>
    public static string CreateBareRepository(string path, IReadOnlyDictionary<string, string> files, string branch = "main")
    {
        var work = path + ".work";
        Directory.CreateDirectory(work);
        RunIn(work, "git", "init", "-q", "-b", branch);
        foreach (var (name, content) in files)
        {
            var file = Path.Combine(work, name);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, content);
        }

        RunIn(work, "git", "add", "-A");
        RunIn(work, "git", "commit", "-q", "-m", "initial commit");
        Run("git", "clone", "-q", "--bare", work, path);
        var commit = RunIn(work, "git", "rev-parse", "HEAD").Trim();
        Directory.Delete(work, recursive: true);
        return commit;
    }
}
