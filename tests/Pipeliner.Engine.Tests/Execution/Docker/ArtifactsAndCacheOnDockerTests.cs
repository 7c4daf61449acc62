using System.Formats.Tar;
using System.Security.Cryptography;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Execution;
using Pipeliner.Engine.Tests.Support;

namespace Pipeliner.Engine.Tests.Execution.Docker;

/// <summary>Artifacts are collected from the container and stored with the run; caches carry paths from run to run.</summary>
[Collection(DockerCollection.Name)]
public sealed class ArtifactsAndCacheOnDockerTests(DockerEngineFixture engine) : DockerTest(engine)
{
    [Fact]
    public async Task ExecuteAsync_StoresArtifactsWithSha256InTheRunRecord_WhenJobSucceeds()
    {
        const string yaml = """
            stages: [build]
            jobs:
              package:
                stage: build
                image: alpine:3
                script: ["mkdir -p dist/bin", "echo app > dist/bin/app", "echo v1 > version.txt"]
                artifacts: { paths: [dist/, version.txt, missing/] }
            """;

        var run = await Harness.RunAsync(yaml);

        Assert.Equal(RunStatus.Succeeded, run.Status);
        var artifacts = Harness.Records.Load(run.Id)!.Jobs.Single().Artifacts;
        Assert.Equal(["dist/", "version.txt"], artifacts.Select(a => a.Path));
        var folder = Harness.Layout.Artifacts(run.Id, "package");
        foreach (var artifact in artifacts)
        {
            var bytes = await File.ReadAllBytesAsync(Path.Combine(folder, artifact.File));
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), artifact.Sha256);
            Assert.Equal(bytes.Length, artifact.Size);
        }

        Assert.Contains("dist/bin/app", await EntriesAsync(Path.Combine(folder, artifacts[0].File)));
        Assert.Contains("pipeliner: warning: artifact 'missing/' does not exist; nothing saved for it", Harness.LogText(run, "package"));
        Assert.Contains(Harness.LogText(run, "package"), l => l.StartsWith($"pipeliner: saved artifact 'dist/' ({artifacts[0].Size} bytes, sha256 {artifacts[0].Sha256[..12]})", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ExecuteAsync_SavesNoArtifacts_WhenJobFails()
    {
        const string yaml = """
            stages: [build]
            jobs:
              package:
                stage: build
                image: alpine:3
                script: ["echo half > half.txt", "exit 1"]
                artifacts: { paths: [half.txt] }
            """;

        var run = await Harness.RunAsync(yaml);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.False(Directory.Exists(Harness.Layout.Artifacts(run.Id, "package")));
        Assert.Empty(Harness.Records.Load(run.Id)!.Jobs.Single().Artifacts);
    }

    [Fact]
    public async Task ExecuteAsync_RestoresCacheSavedBySuccessfulRunsOnly_WhenRunAgain()
    {
        var first = await Harness.RunAsync(CacheJob("cat .deps/state 2>/dev/null || echo empty", "mkdir -p .deps", "echo from-run-1 > .deps/state"));
        var failing = await Harness.RunAsync(CacheJob("cat .deps/state", "echo from-failed-run > .deps/state", "exit 1"));
        var third = await Harness.RunAsync(CacheJob("cat .deps/state"));

        Assert.Equal(RunStatus.Succeeded, first.Status);
        Assert.Contains("empty", Harness.ScriptOutput(first, "build"));
        Assert.Equal(RunStatus.Failed, failing.Status);
        Assert.Contains("from-run-1", Harness.ScriptOutput(failing, "build"));
        Assert.Contains("from-run-1", Harness.ScriptOutput(third, "build"));
        Assert.DoesNotContain("from-failed-run", Harness.ScriptOutput(third, "build"));
        Assert.True(Directory.Exists(Harness.Layout.Cache(Harness.Project, CacheScopes.Local.Save, "deps")));
    }

    private static string CacheJob(params string[] commands) =>
        "stages: [build]\njobs:\n  build:\n    stage: build\n    image: alpine:3\n    cache: { key: deps, paths: [.deps/] }\n    script:\n" +
        string.Concat(commands.Select(c => $"      - {Yaml.Quote(c)}\n"));

    private static async Task<List<string>> EntriesAsync(string tarPath)
    {
        var names = new List<string>();
        await using var file = File.OpenRead(tarPath);
        await using var reader = new TarReader(file);
        while (await reader.GetNextEntryAsync() is { } entry) names.Add(entry.Name.TrimEnd('/'));
        return names;
    }
}
