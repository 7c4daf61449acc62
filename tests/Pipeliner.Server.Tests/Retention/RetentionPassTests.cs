using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Logs.Search;
using Pipeliner.Server.Retention;
using Pipeliner.Server.Tests.Support;
using Pipeliner.Server.Usage;
using Pipeliner.TestSupport.Seeding;

namespace Pipeliner.Server.Tests.Retention;

/// <summary>
/// <c>POST /api/retention/preview</c> and <c>/apply</c> over runs written straight into a server (logs, artifacts,
/// deployments, caches on disk), and <c>POST /api/runs/{id}/pin</c>: what goes, what never goes, and what reads say after.
/// </summary>
public abstract class RetentionPassTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : PipelinerApp
{
    private static readonly DateTimeOffset LongAgo = DateTimeOffset.UtcNow.AddDays(-60);

    private sealed record Seeded(ProjectEntity Project, RunEntity Expiring, RunEntity Pinned, RunEntity Deployed, RunEntity LatestMain, RunEntity Recent,
        string FreshCache, string OldCache);

    private async Task<Seeded> SeedAsync(string hint)
    {
        var seed = new RunSeed(app);
        var project = await seed.ProjectAsync(hint);
        var expiring = await RunAsync(seed, project, "main", LongAgo, "expiring");
        var pinned = await RunAsync(seed, project, "main", LongAgo.AddHours(1), "pinned");
        var deployed = await RunAsync(seed, project, "release", LongAgo.AddHours(2), "deployed");
        var latestMain = await RunAsync(seed, project, "main", LongAgo.AddHours(3), "latest");
        var recent = await RunAsync(seed, project, "feature", DateTimeOffset.UtcNow.AddDays(-1), "recent");
        await app.WithDbAsync(async db =>
        {
            // An earlier deployment to qa (superseded, not current) from the expiring run, the current one from "deployed".
            foreach (var run in new[] { expiring, deployed })
            {
                db.Deployments.Add(new DeploymentEntity
                {
                    ProjectId = project.Id, Environment = "qa", RunId = run.Id, JobId = "build", Attempt = 1, CommitSha = run.CommitSha,
                    Version = $"#{run.Number}", ArtifactsJson = "[]", DeployedAt = run.CreatedAt,
                });
                await db.SaveChangesAsync();
            }
        });
        var freshCache = WriteCache(project.Name, "branch_main", "fresh", DateTime.UtcNow.AddDays(-1));
        var oldCache = WriteCache(project.Name, "branch_main", "old", DateTime.UtcNow.AddDays(-20));
        return new Seeded(project, expiring, pinned, deployed, latestMain, recent, freshCache, oldCache);
    }

    private async Task<RunEntity> RunAsync(RunSeed seed, ProjectEntity project, string branch, DateTimeOffset at, string marker)
    {
        var run = await seed.FinishedRunAsync(project, "succeeded", branch, at, ("build", [$"compiling {marker}-{project.Name}", "done"]));
        var folder = Path.Combine(app.DataDir, "runs", Id(run), "artifacts", "build");
        Directory.CreateDirectory(folder);
        await File.WriteAllBytesAsync(Path.Combine(folder, "0.tar"), new byte[4096]);
        await File.WriteAllTextAsync(Path.Combine(folder, "manifest.json"), "[]");
        await app.WithDbAsync(async db =>
        {
            var job = db.Jobs.Single(j => j.RunId == run.Id);
            db.Artifacts.Add(new ArtifactEntity { JobId = job.Id, Path = "out", File = "0.tar", Size = 4096, Sha256 = new string('0', 64) });
            await db.SaveChangesAsync();
        });
        return run;
    }

    private string WriteCache(string project, string scope, string key, DateTime saved)
    {
        var folder = Path.Combine(app.DataDir, "cache", project, scope, key);
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "0.tar"), new byte[2048]);
        var manifest = Path.Combine(folder, "manifest.json");
        File.WriteAllText(manifest, "[]");
        File.SetLastWriteTimeUtc(manifest, saved);
        return folder;
    }

    private static string Id(RunEntity run) => run.Id.ToString(CultureInfo.InvariantCulture);

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private string LogsOf(RunEntity run) => Path.Combine(app.DataDir, "runs", Id(run), "logs");

    private string ArtifactsOf(RunEntity run) => Path.Combine(app.DataDir, "runs", Id(run), "artifacts");

    [Fact]
    public async Task Apply_RemovesExpiredLogsArtifactsAndCaches_AndKeepsPinnedDeployedAndTheLatestRunOfTheDefaultBranch()
    {
        var s = await SeedAsync("apply");
        using var client = app.Client();
        using (var put = await client.PutAsync($"/api/projects/{s.Project.Name}/retention", Json("""{"maxAgeDays": 30, "caches": {"maxAgeDays": 7}}""")))
            await Api.ExpectAsync(put, HttpStatusCode.OK);
        using (var pin = await client.PostAsync($"/api/runs/{s.Pinned.Id}/pin", null)) await Api.ExpectAsync(pin, HttpStatusCode.OK);
        await app.SealAllLogsAsync();
        Assert.NotEmpty(await SearchAsync(client, $"expiring-{s.Project.Name}"));
        var usageBefore = await UsageAsync(client, s.Project.Name);

        using var apply = await client.PostAsync($"/api/retention/apply?project={s.Project.Name}", null);
        await Api.ExpectAsync(apply, HttpStatusCode.OK);
        var report = (await apply.Content.ReadFromJsonAsync<RetentionReport>(Api.Json))!;

        // Only the old run that nothing protects loses its logs and artifacts; only the old cache goes.
        var gone = Assert.Single(report.Runs);
        Assert.Equal((s.Expiring.Id, "the project keeps 30 days", "the project keeps 30 days"), (gone.RunId, gone.Logs, gone.Artifacts));
        Assert.True(gone.LogBytes > 0 && gone.ArtifactBytes >= 4096, $"bytes freed: {gone.LogBytes} of logs, {gone.ArtifactBytes} of artifacts");
        Assert.Equal(s.OldCache, Path.Combine(app.DataDir, "cache", s.Project.Name, Assert.Single(report.Caches).Scope, report.Caches[0].Key));
        Assert.Equal(gone.LogBytes + gone.ArtifactBytes + report.Caches[0].Bytes, report.Totals.Bytes);
        Assert.False(Directory.Exists(LogsOf(s.Expiring)), "the expired run's logs are removed from the disk");
        Assert.False(Directory.Exists(ArtifactsOf(s.Expiring)), "the expired run's artifacts are removed from the disk");
        Assert.False(Directory.Exists(s.OldCache));
        Assert.True(Directory.Exists(s.FreshCache));
        foreach (var kept in new[] { s.Pinned, s.Deployed, s.LatestMain, s.Recent })
        {
            Assert.True(Directory.Exists(LogsOf(kept)) && Directory.Exists(ArtifactsOf(kept)), $"run #{kept.Number} keeps its logs and artifacts");
            using var log = await client.GetAsync($"/api/runs/{kept.Id}/jobs/build/log");
            await Api.ExpectAsync(log, HttpStatusCode.OK);
        }

        // Every read of the expired parts says so, naming the rule; the run's record and statuses stay.
        var day = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var logGone = $"the log of run {s.Expiring.Id} expired on {day}; the project keeps 30 days";
        var artifactsGone = $"the artifacts of run {s.Expiring.Id} expired on {day}; the project keeps 30 days";
        var prefix = $"/api/runs/{s.Expiring.Id}";
        foreach (var (method, path, detail) in new[]
                 {
                     ("GET", "/jobs/build/log", logGone), ("GET", "/jobs/build/log/pages", logGone), ("GET", "/jobs/build/log/search?q=done", logGone),
                     ("POST", "/jobs/build/log/download", logGone), ("GET", "/artifacts", artifactsGone), ("GET", "/artifacts/build-0.tar", artifactsGone),
                 })
        {
            using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), prefix + path));
            Assert.Equal(detail, (await Api.ProblemAsync(response, HttpStatusCode.Gone)).Detail());
        }

        using (var retry = await client.PostAsJsonAsync(prefix + "/retry", new { all = true }))
        {
            Assert.Equal($"{artifactsGone}: its jobs cannot run again (pin the runs you may still retry or promote)",
                (await Api.ProblemAsync(retry, HttpStatusCode.Conflict)).Detail());
        }

        var run = await client.GetFromJsonAsync<RunResponseView>(prefix, Api.Json);
        Assert.Equal(("succeeded", "succeeded"), (run!.Status, run.Jobs.Single().Status));
        Assert.Equal((logGone, artifactsGone), (run.Expired!.Logs!.Message, run.Expired.Artifacts!.Message));
        Assert.Empty(await SearchAsync(client, $"expiring-{s.Project.Name}"));
        Assert.NotEmpty(await SearchAsync(client, $"latest-{s.Project.Name}"));

        var usageAfter = await UsageAsync(client, s.Project.Name);
        Assert.Equal(usageBefore.LogBytes - gone.LogBytes, usageAfter.LogBytes);
        Assert.Equal(usageBefore.ArtifactBytes - gone.ArtifactBytes, usageAfter.ArtifactBytes);
        Assert.Equal(usageBefore.CacheBytes - report.Caches[0].Bytes, usageAfter.CacheBytes);

        var audit = await client.GetFromJsonAsync<JsonElement>($"/api/audit?project={s.Project.Name}", Api.Json);
        var entry = audit.GetProperty("items").EnumerateArray().First(e => e.GetProperty("action").GetString() == "retention.apply");
        Assert.StartsWith($"removed the logs of 1 runs ({gone.LogBytes} bytes), the artifacts of 1 runs ({gone.ArtifactBytes} bytes) and 1 caches",
            entry.GetProperty("details").GetString());
        Assert.NotEqual(Pipeliner.Server.Audit.AuditTrail.System, entry.GetProperty("actor").GetString());

        // A second pass finds nothing more to do.
        using var again = await client.PostAsync($"/api/retention/apply?project={s.Project.Name}", null);
        Assert.Equal(0, (await again.Content.ReadFromJsonAsync<RetentionReport>(Api.Json))!.Totals.Runs);
    }

    [Fact]
    public async Task Preview_ListsWhatWouldGoWithSizes_AndRemovesNothing()
    {
        var s = await SeedAsync("preview");
        using var client = app.Client();
        using (var put = await client.PutAsync($"/api/projects/{s.Project.Name}/retention", Json("""{"keepLastPerBranch": 1}""")))
            await Api.ExpectAsync(put, HttpStatusCode.OK);

        using var preview = await client.PostAsync($"/api/retention/preview?project={s.Project.Name}", null);
        await Api.ExpectAsync(preview, HttpStatusCode.OK);
        var report = (await preview.Content.ReadFromJsonAsync<RetentionReport>(Api.Json))!;

        // main keeps its newest run; "pinned" is not pinned here, so both older main runs would go.
        Assert.False(report.Applied);
        Assert.Equal([s.Expiring.Id, s.Pinned.Id], report.Runs.Select(r => r.RunId));
        Assert.All(report.Runs, r => Assert.Equal("the project keeps the last run of each branch", r.Logs));
        Assert.All(report.Runs, r => Assert.True(r.LogBytes > 0 && r.ArtifactBytes >= 4096));
        Assert.Equal(report.Runs.Sum(r => r.LogBytes + r.ArtifactBytes) + report.Caches.Sum(c => c.Bytes), report.Totals.Bytes);
        Assert.True(Directory.Exists(LogsOf(s.Expiring)) && Directory.Exists(ArtifactsOf(s.Expiring)));
        using var log = await client.GetAsync($"/api/runs/{s.Expiring.Id}/jobs/build/log");
        await Api.ExpectAsync(log, HttpStatusCode.OK);
    }

    [Fact]
    public async Task Pin_MarksTheRunPinned_AndUnpinReleasesIt_EachAudited()
    {
        var s = await SeedAsync("pin");
        var developer = await app.CreateTokenAsync(Pipeliner.Server.Auth.Role.Developer);
        using var client = app.Client(developer);

        using var pin = await client.PostAsync($"/api/runs/{s.Expiring.Id}/pin", null);
        var pinned = (await pin.Content.ReadFromJsonAsync<RunPinResponse>(Api.Json))!;
        var whilePinned = await client.GetFromJsonAsync<RunResponseView>($"/api/runs/{s.Expiring.Id}", Api.Json);
        var listed = await client.GetFromJsonAsync<JsonElement>($"/api/projects/{s.Project.Name}/runs", Api.Json);
        using var unpin = await client.PostAsync($"/api/runs/{s.Expiring.Id}/unpin", null);
        var unpinned = (await unpin.Content.ReadFromJsonAsync<RunPinResponse>(Api.Json))!;
        using var missing = await client.PostAsync("/api/runs/98765432/pin", null);

        Assert.True(pinned.Pinned && pinned.PinnedBy is not null && pinned.PinnedAt is not null);
        Assert.True(whilePinned!.Pinned);
        Assert.True(listed.GetProperty("items").EnumerateArray().Single(r => r.GetProperty("id").GetInt64() == s.Expiring.Id).GetProperty("pinned").GetBoolean());
        Assert.Equal((false, (string?)null), (unpinned.Pinned, unpinned.PinnedBy));
        Assert.Equal("no run 98765432", (await Api.ProblemAsync(missing, HttpStatusCode.NotFound)).Detail());
        var audit = await app.Client().GetFromJsonAsync<JsonElement>($"/api/audit?project={s.Project.Name}", Api.Json);
        Assert.Equal(["run.unpin", "run.pin"], audit.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("action").GetString())
            .Where(a => a!.StartsWith("run.", StringComparison.Ordinal)));
    }

    private static async Task<List<JsonElement>> SearchAsync(HttpClient client, string text)
    {
        var answer = await client.GetFromJsonAsync<JsonElement>($"/api/search/logs?q={Uri.EscapeDataString(text)}", Api.Json);
        return [.. answer.GetProperty("matches").EnumerateArray()];
    }

    private static async Task<ProjectUsage> UsageAsync(HttpClient client, string project) =>
        (await client.GetFromJsonAsync<UsageResponse>("/api/usage", Api.Json))!.Projects.Single(p => p.Project == project);

    private sealed record ExpiredView(string Message);

    private sealed record ExpiredPartsView(ExpiredView? Logs, ExpiredView? Artifacts);

    private sealed record JobStatusView(string Id, string Status);

    private sealed record RunResponseView(long Id, string Status, List<JobStatusView> Jobs, bool Pinned, ExpiredPartsView? Expired);
}

/// <summary>The tests above on SQLite.</summary>
public sealed class RetentionPassTests(AppWithoutAgent app) : RetentionPassTests<AppWithoutAgent>(app);

/// <summary>The tests above on PostgreSQL.</summary>
[Trait("Database", "postgres")]
public sealed class RetentionPassOnPostgresTests(AppWithoutAgentOnPostgres app) : RetentionPassTests<AppWithoutAgentOnPostgres>(app);
