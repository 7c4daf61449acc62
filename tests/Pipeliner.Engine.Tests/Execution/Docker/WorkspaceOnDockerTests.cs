using System.Runtime.Versioning;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Tests.Support;

namespace Pipeliner.Engine.Tests.Execution.Docker;

/// <summary>Each job starts from a fresh checkout of the run's commit at /workspace, plus its needs' artifacts.</summary>
[Collection(DockerCollection.Name)]
public sealed class WorkspaceOnDockerTests(DockerEngineFixture engine) : DockerTest(engine)
{
    [Fact]
    public async Task ExecuteAsync_StartsFromFreshCheckoutOfTheCommit_WhenTreeHasLaterAndUncommittedChanges()
    {
        const string yaml = """
            stages: [check]
            jobs:
              check:
                stage: check
                image: alpine:3
                script:
                  - pwd
                  - cat committed.txt
                  - test -e later.txt && echo later file present || echo no later file
                  - test -e dirty.txt && echo dirty file present || echo no dirty file
                  - test -d .git && echo has .git
                  - cat .git/HEAD
            """;
        var commit = Harness.Repository.CommitPipeline(yaml, ("committed.txt", "from the run's commit\n"));
        Harness.Repository.Commit(new Dictionary<string, string> { ["later.txt"] = "later", ["committed.txt"] = "changed later" });
        Harness.Repository.WriteFile("dirty.txt", "uncommitted");

        var run = await Harness.RunAsync(yaml, commitSha: commit);

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(["/workspace", "from the run's commit", "no later file", "no dirty file", "has .git", commit],
            Harness.ScriptOutput(run, "check").Where(l => !l.StartsWith("$ ", StringComparison.Ordinal)));
        Assert.False(Directory.Exists(Harness.Layout.Workspace(run.Id, "check", 1)), "the workspace outlived its job");
    }

    [Fact]
    [UnsupportedOSPlatform("windows")] // file modes
    public async Task ExecuteAsync_StartsEveryJobFromThePristineTree_WhenEarlierAndParallelJobsChangeTheirCopies()
    {
        const string yaml = """
            stages: [change, check]
            jobs:
              change-a:
                stage: change
                image: alpine:3
                script: ["echo changed > committed.txt", "echo new > new.txt", "rm tool.sh", "rm -r .git/refs"]
              change-b:
                stage: change
                image: alpine:3
                script: ["echo changed too >> committed.txt", "chmod -x tool.sh", "rm linked"]
              check:
                stage: check
                image: alpine:3
                script:
                  - cat committed.txt
                  - test -e new.txt && echo new file present || echo no new file
                  - ./tool.sh
                  - readlink linked
                  - test -d .git/refs && cat .git/HEAD
            """;
        Harness.Repository.WriteFile("tool.sh", "#!/bin/sh\necho tool ran\n");
        File.SetUnixFileMode(Path.Combine(Harness.Repository.Path, "tool.sh"),
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        Harness.Repository.WriteSymbolicLink("linked", "committed.txt");
        var commit = Harness.Repository.CommitPipeline(yaml, ("committed.txt", "original\n"));

        var run = await Harness.RunAsync(yaml, commitSha: commit);

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(["original", "no new file", "tool ran", "committed.txt", commit],
            Harness.ScriptOutput(run, "check").Where(l => !l.StartsWith("$ ", StringComparison.Ordinal)));
        Assert.Equal("original\n", File.ReadAllText(Path.Combine(Harness.Layout.RunCheckout(run.Id, commit), "committed.txt")));
    }

    [Fact]
    public async Task ExecuteAsync_FailsJobAndWritesNothingOnTheHost_WhenACommittedLinkWouldRedirectRestoredArtifacts()
    {
        const string yaml = """
            stages: [build, use]
            jobs:
              build:
                stage: build
                image: alpine:3
                script: ["rm reports", "mkdir -p reports/cron.d", "echo evil > reports/cron.d/job"]
                artifacts: { paths: [reports/cron.d/] }
              use:
                stage: use
                image: alpine:3
                script: ["echo never"]
            """;
        using var outside = new TempDirectory("outside");
        Harness.Repository.WriteSymbolicLink("reports", outside.Path);
        Harness.Repository.CommitPipeline(yaml);

        var run = await Harness.RunAsync(yaml, commitSha: Harness.Repository.Commit(new Dictionary<string, string>()));

        Assert.Equal(JobStatus.Succeeded, run.Job("build").Status);
        var attempt = run.Job("use").Attempts.Single();
        Assert.Equal(JobStatus.Failed, attempt.Status);
        Assert.Equal("cannot restore 'reports/cron.d/': 'reports' in the workspace is a symbolic link", attempt.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside.Path));
        await AssertNoContainersLeftAsync(run);
    }

    [Fact]
    public async Task ExecuteAsync_RestoresArtifactsOfDirectAndTransitiveNeedsOnly_WhenJobNeedsAChain()
    {
        const string yaml = """
            stages: [one, two, three]
            jobs:
              first:
                stage: one
                image: alpine:3
                script: ["mkdir -p out/deep", "echo from-first > out/deep/a.txt"]
                artifacts: { paths: [out/] }
              other:
                stage: one
                image: alpine:3
                script: ["echo from-other > other.txt"]
                artifacts: { paths: [other.txt] }
              second:
                stage: two
                needs: [first]
                image: alpine:3
                script: ["cat out/deep/a.txt", "echo from-second > b.txt"]
                artifacts: { paths: [b.txt] }
              third:
                stage: three
                needs: [second]
                image: alpine:3
                script:
                  - cat out/deep/a.txt b.txt
                  - test -e other.txt && echo other present || echo no other
            """;

        var run = await Harness.RunAsync(yaml);

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Contains("from-first", Harness.ScriptOutput(run, "second"));
        Assert.Equal(["from-first", "from-second", "no other"],
            Harness.ScriptOutput(run, "third").Where(l => !l.StartsWith("$ ", StringComparison.Ordinal)));
    }
}
