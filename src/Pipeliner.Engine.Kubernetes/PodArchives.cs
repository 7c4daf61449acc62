using k8s;

namespace Pipeliner.Engine.Kubernetes;

/// <summary>
/// Copies a path out of a job's workspace: <c>tar</c> runs in the Pod's helper container (exec over the API
/// server's WebSocket), which stays up after the script ended, as GitLab Runner's helper does.
/// </summary>
internal sealed class PodArchives(IKubernetes client, string @namespace)
{
    /// <summary>A tar of <paramref name="path"/> (relative to the workspace), or null when the path does not exist.</summary>
    public async Task<Stream?> TarAsync(string pod, string path, CancellationToken cancellationToken)
    {
        // Spooled to a file that deletes itself: archives can be larger than memory should hold.
        var file = new FileStream(Path.Combine(Path.GetTempPath(), $"pipeliner-archive-{Guid.NewGuid():N}.tar"), FileMode.CreateNew,
            FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        var errors = "";
        try
        {
            var exitCode = await client.NamespacedPodExecAsync(pod, @namespace, PodBuilder.HelperContainer, HelperScripts.ArchiveCommand(path), tty: false,
                async (_, stdout, stderr) =>
                {
                    // Both are read at once: an unread stream would fill and stall the other.
                    var readErrors = new StreamReader(stderr).ReadToEndAsync(cancellationToken);
                    await stdout.CopyToAsync(file, cancellationToken);
                    errors = await readErrors;
                }, cancellationToken);
            if (exitCode == HelperScripts.PathMissingExitCode)
            {
                await file.DisposeAsync();
                return null;
            }

            if (exitCode != 0)
                throw new IOException($"archiving '{path}' in the Pod {pod} failed with exit code {exitCode}: {errors.Trim()}");
            file.Position = 0;
            return file;
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }
}
