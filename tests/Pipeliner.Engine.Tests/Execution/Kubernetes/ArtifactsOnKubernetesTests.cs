using Pipeliner.Core.Runs;
using Pipeliner.Engine.Storage;
using Pipeliner.Engine.Tests.Support;
using Pipeliner.Engine.Tests.Support.Kubernetes;

namespace Pipeliner.Engine.Tests.Execution.Kubernetes;

/// <summary>
/// Artifacts leave the Pod through <c>tar</c> exec'd in its helper container: the fake API server answers the exec
/// WebSocket by running the exact command in busybox on the test Docker engine, over the job's workspace.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class ArtifactsOnKubernetesTests(DockerEngineFixture engine)
{
    private const string Yaml = """
        stages: [package]
        jobs:
          package:
            stage: package
            image: alpine:3
            script: ["tar -czf dist/shop.tar.gz src"]
            artifacts: { paths: [dist/shop.tar.gz, reports/] }
        """;

    [Fact]
    public async Task RunAsync_SavesArtifactsArchivedInTheHelper_WhenTheScriptSucceeds()
    {
        await using var harness = await KubernetesJobHarness.StartAsync();
        using var workspace = new TempDirectory("k8s-pod-workspace");
        harness.Api.Kubelet = async pod =>
        {
            pod.Start();
            // What the script left in the Pod's emptyDir.
            Directory.CreateDirectory(Path.Combine(workspace.Path, "dist"));
            await File.WriteAllTextAsync(Path.Combine(workspace.Path, "dist", "shop.tar.gz"), "packaged bytes");
            pod.Exit("job", 0);
        };
        var execs = new List<(string Container, IReadOnlyList<string> Command)>();
        harness.Api.Exec = async (pod, container, command) =>
        {
            lock (execs) execs.Add((container, command));
            return await BusyboxContainer.RunAsync(engine.Client, command, new Dictionary<string, string>(), workspace.Path);
        };

        var report = await harness.RunAsync(KubernetesJobHarness.Assignment(Yaml, "package"));

        Assert.Equal(JobStatus.Succeeded, report.Outcome.Status);
        Assert.All(execs, e => Assert.Equal("helper", e.Container));
        Assert.Equal(2, execs.Count);
        var saved = Assert.Single(report.Artifacts);
        Assert.Equal("dist/shop.tar.gz", saved.Path);
        var log = KubernetesJobHarness.LogText(report);
        Assert.Contains("pipeliner: warning: artifact 'reports/' does not exist; nothing saved for it", log);
        using var restored = new TempDirectory("k8s-restored");
        await new ArchiveFolder(harness.Layout.Artifacts("17", "package")).RestoreAsync(restored.Path, CancellationToken.None);
        Assert.Equal("packaged bytes", await File.ReadAllTextAsync(Path.Combine(restored.Path, "dist", "shop.tar.gz")));
        await BusyboxContainer.RunAsync(engine.Client, ["/bin/sh", "-c", "rm -rf /workspace/*"], new Dictionary<string, string>(), workspace.Path);
    }
}
