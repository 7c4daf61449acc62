using System.Net;
using Pipeliner.Server.Tests.Support;
using Pipeliner.TestSupport.Databases;

namespace Pipeliner.Server.Tests.EndToEnd;

/// <summary>
/// Two server processes (replicas, each with its own data directory and embedded agent) on one PostgreSQL database,
/// runs triggered through both at once: every run gets its own number, gap-free, and every job runs exactly once, on
/// whichever replica claimed it.
/// </summary>
[Trait("Database", "postgres")]
public sealed class ReplicaCoordinationTests : IDisposable
{
    private const int Runs = 24;
    private readonly TempDirectory _directory = new("pipeliner-replicas-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Replicas_NeverShareARunNumberOrRunAJobTwice_WhenRunsAreTriggeredThroughBothAtOnce()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync("replicas");
        var ledger = _directory.Combine("executions.txt");
        // Each execution of a job appends one line: its run, its job and the server process whose agent ran it.
        var pipeline = $$"""
            stages: [build]
            defaults: { image: alpine:3 }
            jobs:
              one:
                stage: build
                script: ["echo \"$PIPELINER_RUN_ID one $PPID\" >> '{{ledger}}'", "sleep 0.2"]
              two:
                stage: build
                script: ["echo \"$PIPELINER_RUN_ID two $PPID\" >> '{{ledger}}'", "sleep 0.2"]

            """;
        var repository = GitRepository.WithPipeline(_directory.Combine("repo"), pipeline);
        string[] settings =
        [
            "--Pipeliner:Database:Provider=postgres", $"--ConnectionStrings:Pipeliner={database.ConnectionString}",
            "--Pipeliner:Agent:Backend=shell",
        ];
        await using var first = await ServerProcess.StartAsync(_directory.Combine("a"), agentCapacity: 2, settings: settings);
        await using var second = await ServerProcess.StartAsync(_directory.Combine("b"), agentCapacity: 2, settings: settings);
        using var a = first.Client();
        using var b = second.Client();
        using (var created = await a.PostProjectAsync("shared", repository.Path)) await Api.ExpectAsync(created, HttpStatusCode.Created);

        var ids = await Task.WhenAll(Enumerable.Range(0, Runs).Select(i => (i % 2 == 0 ? a : b).TriggerAsync("shared", new { branch = "main" })));

        var runs = await Task.WhenAll(ids.Select(id => (id % 2 == 0 ? b : a).WaitForFinishAsync(id, TimeSpan.FromMinutes(3))));
        Assert.Equal(Enumerable.Range(1, Runs), runs.Select(r => r.Number).Order());
        Assert.All(runs, run => Assert.True(run.Status == "succeeded", $"run {run.Id}: {run.Status}"));
        Assert.All(runs.SelectMany(r => r.Jobs), job => Assert.Single(job.Attempts));
        var executions = (await File.ReadAllLinesAsync(ledger)).Select(line => line.Split(' ')).ToList();
        var jobsRun = executions.Select(e => $"{e[0]} {e[1]}").ToList();
        Assert.Equal(Runs * 2, jobsRun.Count);
        Assert.Equal(jobsRun.Count, jobsRun.Distinct().Count());
        // Every execution was one of the two replicas' embedded agents (which of them took how many varies from run to run).
        Assert.All(executions, e => Assert.Contains(int.Parse(e[2]), new[] { first.ProcessId, second.ProcessId }));
    }
}
