using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Runs;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Runs;

/// <summary>
/// Caches are scoped by the run's trust: a pull request from a fork reads the trusted cache but what it saves never
/// reaches a trusted run; a branch never saves where another branch reads. Attacked end to end on the real server,
/// Docker engine and git repository, with real GitHub payloads.
/// </summary>
public class RunCacheScopesTests(AppWithAgent app) : IClassFixture<AppWithAgent>
{
    /// <summary>Prints what the cache held, then saves a tool script into it (the fork's version saves a poisoned one).</summary>
    private static string Pipeline(string tool) => $$"""
        on: { push: {}, pull_request: {} }
        stages: [build]
        defaults: { image: alpine:3 }
        jobs:
          build:
            stage: build
            cache: { key: tools, paths: [.tools] }
            script:
              - echo "restored=$(cat .tools/tool.sh 2>/dev/null || echo nothing)"
              - mkdir -p .tools
              - echo 'echo {{tool}}' > .tools/tool.sh

        """;

    [Fact]
    public async Task Run_NeverRestoresWhatAForkSaved_WhenATrustedBranchRunsAfterAForkPullRequest()
    {
        var repository = app.NewRepository(Pipeline("trusted-tool"));
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, repository, hint: "cache-fork");
        var seeded = await admin.WaitForFinishAsync(await app.PushAsync(admin, project, repository.Head(), "main"));
        Assert.Contains("restored=nothing", await admin.LogAsync(seeded.Id, "build"), StringComparison.Ordinal);

        // The fork's pull request changes the pipeline to save a poisoned tool into the cache.
        repository.CreateBranch("fork-work");
        var forkHead = repository.Commit("poison the cache", new Dictionary<string, string?> { [".pipeliner.yml"] = Pipeline("poisoned-tool") });
        repository.Checkout("main");
        var fork = await admin.WaitForFinishAsync(await app.PullRequestAsync(admin, project, repository, 41, forkHead, "main", fromFork: true));
        var forkLog = await admin.LogAsync(fork.Id, "build");
        Assert.Equal(("succeeded", "pull_request"), (fork.Status, fork.Event));
        Assert.Contains("restored=echo trusted-tool", forkLog, StringComparison.Ordinal);
        Assert.Contains("cache 'tools' restored from scope branch/main", forkLog, StringComparison.Ordinal);
        Assert.Contains("saved cache path (scope fork/pull/41) '.tools'", forkLog, StringComparison.Ordinal);

        var next = repository.Commit("a trusted change", new Dictionary<string, string?> { ["CHANGES.md"] = "next\n" });
        var trusted = await admin.WaitForFinishAsync(await app.PushAsync(admin, project, next, "main"));

        var trustedLog = await admin.LogAsync(trusted.Id, "build");
        Assert.Equal("succeeded", trusted.Status);
        Assert.Contains("restored=echo trusted-tool", trustedLog, StringComparison.Ordinal);
        Assert.DoesNotContain("poisoned-tool", trustedLog, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ReadsTheDefaultBranchCacheButNotAnotherBranchs_WhenABranchSavedOne()
    {
        var repository = app.NewRepository(Pipeline("trusted-tool"));
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, repository, hint: "cache-branch");
        await admin.WaitForFinishAsync(await app.PushAsync(admin, project, repository.Head(), "main"));
        repository.CreateBranch("feature/x");
        var feature = repository.Commit("change the tool", new Dictionary<string, string?> { [".pipeliner.yml"] = Pipeline("feature-tool") });
        var featureRun = await admin.WaitForFinishAsync(await app.PushAsync(admin, project, feature, "feature/x"));
        Assert.Contains("restored=echo trusted-tool", await admin.LogAsync(featureRun.Id, "build"), StringComparison.Ordinal);
        repository.Checkout("main");

        var mainRun = await admin.WaitForFinishAsync(await app.PushAsync(admin, project, repository.Head(), "main"));

        var log = await admin.LogAsync(mainRun.Id, "build");
        Assert.Contains("restored=echo trusted-tool", log, StringComparison.Ordinal);
        Assert.DoesNotContain("feature-tool", log, StringComparison.Ordinal);
        var again = await admin.WaitForFinishAsync(await app.PushAsync(admin, project, feature, "feature/x"));
        Assert.Contains("restored=echo feature-tool", await admin.LogAsync(again.Id, "build"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("push", "develop", null, null, false, "branch/develop", "branch/develop,branch/main")]
    [InlineData("push", "main", null, null, false, "branch/main", "branch/main")]
    [InlineData("manual", "release/1.2", null, null, false, "branch/release/1.2", "branch/release/1.2,branch/main")]
    [InlineData("schedule", "main", null, null, false, "branch/main", "branch/main")]
    [InlineData("tag", null, "v1.0", null, false, "tag/v1.0", "tag/v1.0,branch/main")]
    [InlineData("pull_request", "release/1.2", null, 7, false, "pull/7", "pull/7,branch/release/1.2,branch/main")]
    [InlineData("pull_request", "main", null, 7, true, "fork/pull/7", "fork/pull/7,branch/main")]
    [InlineData("pull_request", "main", null, null, true, "fork/pull/run-12", "fork/pull/run-12,branch/main")]
    public void For_SavesOnlyToTheRunsOwnScope_WhateverTheRunComesFrom(
        string eventName, string? branch, string? tag, int? pullRequest, bool fromFork, string save, string restore)
    {
        var run = new RunEntity
        {
            Id = 12, Status = "queued", Event = eventName, Branch = branch, Tag = tag, CommitSha = new string('a', 40),
            PullRequestNumber = pullRequest, FromFork = fromFork, Trigger = "test",
        };

        var scopes = RunCacheScopes.For(run, "main");

        Assert.Equal((save, restore), (scopes.Save, string.Join(",", scopes.Restore)));
    }
}
