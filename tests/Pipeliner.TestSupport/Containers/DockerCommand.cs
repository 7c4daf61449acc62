using System.Diagnostics;

namespace Pipeliner.TestSupport.Containers;

/// <summary>What a <c>docker</c> command printed and how it ended.</summary>
public sealed record DockerResult(int ExitCode, string Out, string Error)
{
    public string Both => Out + Error;
}

/// <summary>
/// The <c>docker</c> command line against the engine at DOCKER_HOST (the private engine <c>deploy/dev/test.sh</c>
/// starts), for tests that run Pipeliner's own images as containers.
/// </summary>
public static class DockerCommand
{
    public static async Task<DockerResult> RunAsync(TimeSpan timeout, params string[] arguments)
    {
        var info = new ProcessStartInfo("docker")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start docker");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"docker {string.Join(' ', arguments)} did not finish within {timeout}");
        }

        return new DockerResult(process.ExitCode, await output, await error);
    }

    public static Task<DockerResult> RunAsync(params string[] arguments) => RunAsync(TimeSpan.FromMinutes(2), arguments);

    /// <summary>Runs the command and fails with its output unless it exits with 0; gives its standard output.</summary>
    public static async Task<string> CheckedAsync(params string[] arguments)
    {
        var result = await RunAsync(arguments);
        return result.ExitCode == 0
            ? result.Out
            : throw new InvalidOperationException($"docker {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.Both}");
    }

    /// <summary><c>docker rm -f</c>, for clean-up: a container that is already gone is fine.</summary>
    public static async Task RemoveAsync(string container) => await RunAsync("rm", "-f", "-v", container);
}
