using Docker.DotNet;
using Docker.DotNet.Models;

namespace Pipeliner.Engine.Tests.Support.Kubernetes;

/// <summary>
/// Runs a container of a Pod's spec for real on the test Docker engine, as the kubelet would: its command and
/// environment, a host directory as the <c>emptyDir</c> at /workspace, the host's network (so 127.0.0.1 is this
/// machine, where the tests serve). Gives its exit code and output, byte for byte.
/// </summary>
internal static class BusyboxContainer
{
    public static async Task<ExecResult> RunAsync(
        DockerClient docker, IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment, string workspace)
    {
        var created = await docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = DockerEngineFixture.ServiceImage,
            Entrypoint = command.ToList(),
            Env = environment.Select(e => $"{e.Key}={e.Value}").ToList(),
            Labels = new Dictionary<string, string> { ["io.pipeliner.test"] = "kubernetes-helper" },
            HostConfig = new HostConfig { Binds = [$"{workspace}:/workspace"], NetworkMode = "host" },
        });
        try
        {
            using var output = await docker.Containers.AttachContainerAsync(created.ID, tty: false,
                new ContainerAttachParameters { Stream = true, Stdout = true, Stderr = true });
            await docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters());
            using var stdout = new MemoryStream();
            using var stderr = new MemoryStream();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await output.CopyOutputToAsync(Stream.Null, stdout, stderr, timeout.Token);
            var exit = await docker.Containers.WaitContainerAsync(created.ID, timeout.Token);
            return new ExecResult(stdout.ToArray(), stderr.ToArray(), (int)exit.StatusCode);
        }
        finally
        {
            await docker.Containers.RemoveContainerAsync(created.ID, new ContainerRemoveParameters { Force = true });
        }
    }
}
