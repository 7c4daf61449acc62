using System.Diagnostics;

namespace Pipeliner.Cli.Tests.Support;

/// <summary>
/// Debian's <c>ansible-playbook</c> (installed by <c>deploy/dev/ansible.sh</c>, which <c>deploy/dev/test.sh</c>
/// runs); without it the tests fail saying how to install it, they never skip.
/// </summary>
internal static class AnsiblePlaybook
{
    public static string Executable { get; } = Find();

    public static CliResult Run(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(Executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["ANSIBLE_NOCOLOR"] = "1", ["ANSIBLE_FORCE_COLOR"] = "0" },
        };
        foreach (var argument in args) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var (output, error) = (process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"ansible-playbook {string.Join(' ', args)} did not finish");
        }

        return new CliResult(process.ExitCode, output.Result, error.Result);
    }

    private static string Find()
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Select(directory => Path.Combine(directory, "ansible-playbook"))
            .FirstOrDefault(File.Exists);
        return found ?? throw new InvalidOperationException(
            "These tests need ansible-playbook (Debian's ansible-core) and it is not on PATH: run 'bash deploy/dev/ansible.sh' " +
            "(as root) or 'bash deploy/dev/test.sh'. They never skip.");
    }
}
