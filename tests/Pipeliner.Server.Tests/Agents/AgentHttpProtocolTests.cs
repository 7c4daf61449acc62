using System.Formats.Tar;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Agent.Contracts;
using Pipeliner.Server.Agents;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Agents;

/// <summary>
/// The agent protocol over HTTP as the server enforces it: registration and credentials (agent credentials reach only the
/// agent endpoints, user tokens never do), attempt-scoped downloads, precise 4xx answers to bad input (never a 500), and
/// writes for a stale attempt refused with 409 so that a presumed-dead agent cannot overwrite a retry.
/// </summary>
public class AgentHttpProtocolTests(AgentHttpProtocolTests.ShortLeaseApp app) : IClassFixture<AgentHttpProtocolTests.ShortLeaseApp>
{
    public sealed class ShortLeaseApp() : PipelinerApp(agentCapacity: 0, new Dictionary<string, string>
    {
        ["Pipeliner:Agent:LeaseDuration"] = "00:00:01",
    });

    private static string Label() => "t" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>One job per name (the first, <c>build</c>, by default), each echoing its name, all on the agent's <paramref name="label"/>.</summary>
    private static string Pipeline(string label, params string[] jobs) =>
        "stages: [test]\ndefaults: { image: alpine:3 }\njobs:\n" + string.Concat((jobs.Length == 0 ? ["build"] : jobs).Select(job =>
            $"  {job}:\n    stage: test\n    runs-on: [{label}]\n    script: [\"echo {job}\"]\n"));

    /// <summary>A run of <paramref name="jobs"/> (<c>build</c> alone by default) and the first of them claimed by a new agent.</summary>
    private async Task<(HttpAgent Agent, long RunId, AgentAssignment Work)> ClaimAsync(HttpClient admin, params string[] jobs)
    {
        var label = Label();
        var project = await admin.CreateProjectAsync(app, app.NewRepository(Pipeline(label, jobs)));
        var runId = await admin.TriggerAsync(project);
        var agent = await HttpAgent.RegisterAsync(app.Client(token: null), admin, "agent-" + label, "linux", label);
        return (agent, runId, await agent.NextAsync());
    }

    [Fact]
    public async Task Register_GivesEachAgentItsOwnCredential_UntilTheRegistrationTokenIsRevoked()
    {
        using var admin = app.Client();
        using var http = app.Client(token: null);
        using var created = await admin.PostAsJsonAsync("/api/agents/tokens", new { name = "fleet" });
        await Api.ExpectAsync(created, HttpStatusCode.Created);
        var token = await created.Content.ReadFromJsonAsync<JsonElement>();
        var body = new { labels = new[] { "linux" }, capacity = 1, version = "test" };

        using var first = await HttpAgent.RegisterAsync(http, token.GetProperty("token").GetString()!, new { name = "fleet-1", body.labels, body.capacity });
        using var second = await HttpAgent.RegisterAsync(http, token.GetProperty("token").GetString()!, new { name = "fleet-2", body.labels, body.capacity });
        await Api.ExpectAsync(first, HttpStatusCode.Created);
        await Api.ExpectAsync(second, HttpStatusCode.Created);
        Assert.NotEqual((await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("credential").GetString(),
            (await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("credential").GetString());

        using var revoked = await admin.DeleteAsync($"/api/agents/tokens/{token.GetProperty("id").GetInt32()}");
        await Api.ExpectAsync(revoked, HttpStatusCode.NoContent);
        using var refused = await HttpAgent.RegisterAsync(http, token.GetProperty("token").GetString()!, new { name = "fleet-3", body.labels, body.capacity });
        await Api.ProblemAsync(refused, HttpStatusCode.Unauthorized);
        using var tokens = await admin.GetAsync("/api/agents/tokens");
        Assert.DoesNotContain(token.GetProperty("token").GetString()!, await tokens.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Credentials_ReachOnlyTheirOwnEndpoints_WhenAUserTokenAndAnAgentCredentialAreSwapped()
    {
        using var admin = app.Client();
        var agent = await HttpAgent.RegisterAsync(app.Client(token: null), admin, "swap-" + Label(), "linux");

        using var userOnAgent = await agent.SendAsync(HttpMethod.Post, AgentRoutes.Next + "?wait=0", token: PipelinerApp.AdminToken);
        using var agentOnUser = await agent.SendAsync(HttpMethod.Get, "/api/projects");
        using var agentOnAdmin = await agent.SendAsync(HttpMethod.Post, "/api/agents/tokens", JsonContent.Create(new { name = "x" }));

        await Api.ProblemAsync(userOnAgent, HttpStatusCode.Unauthorized);
        await Api.ProblemAsync(agentOnUser, HttpStatusCode.Unauthorized);
        await Api.ProblemAsync(agentOnAdmin, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Source_IsTheCommitsTree_ForTheAttemptsCredentialOnly()
    {
        using var admin = app.Client();
        var (agent, _, work) = await ClaimAsync(admin);
        await using var alive = agent.KeepAlive(work.AttemptId);
        using var http = app.Client(token: null);

        using var request = new HttpRequestMessage(HttpMethod.Get, AgentRoutes.Source(work.AttemptId));
        request.Headers.Add(AgentRoutes.AttemptCredentialHeader, work.AttemptCredential);
        using var source = await http.SendAsync(request);
        using var wrong = await agent.SendAsync(HttpMethod.Get, AgentRoutes.Source(work.AttemptId));

        await Api.ExpectAsync(source, HttpStatusCode.OK);
        var names = new List<string>();
        await using (var tar = new TarReader(await source.Content.ReadAsStreamAsync()))
        {
            while (await tar.GetNextEntryAsync() is { } entry) names.Add(entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name);
        }

        Assert.Contains(".pipeliner.yml", names);
        await Api.ProblemAsync(wrong, HttpStatusCode.Unauthorized);
        Assert.Equal("build", work.Job.Id);
        Assert.DoesNotContain(app.DataDir, JsonSerializer.Serialize(work, AgentJson.Options), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadInput_IsA4xxThatStoresNothing_WhenAnAgentSendsIt()
    {
        using var admin = app.Client();
        var (agent, runId, work) = await ClaimAsync(admin);
        var id = work.AttemptId;
        await using var alive = agent.KeepAlive(id);

        using var unknown = await agent.SendAsync(HttpMethod.Post, AgentRoutes.Heartbeat(id + 100_000));
        using var noOffset = await agent.SendAsync(HttpMethod.Post, AgentRoutes.Log(id), new ByteArrayContent("x\n"u8.ToArray()));
        using var halfLine = await agent.AppendLogAsync(id, 0, "no line feed");
        using var oversized = await agent.SendAsync(HttpMethod.Post, $"{AgentRoutes.Log(id)}?offset=0", new ByteArrayContent(new byte[AgentRoutes.MaxLogBatchBytes + 1]));
        using var appended = await agent.AppendLogAsync(id, 0, "2026-12-04T10:00:00.000Z one\n");
        using var wrongOffset = await agent.AppendLogAsync(id, 3, "2026-12-04T10:00:00.000Z again\n");
        using var badJson = await agent.SendAsync(HttpMethod.Post, AgentRoutes.Done(id), new StringContent("{\"status\": ", System.Text.Encoding.UTF8, "application/json"));
        using var badStatus = await agent.DoneAsync(id, new { status = "great", logLength = 0, logSha256 = "", artifacts = Array.Empty<object>(), cache = Array.Empty<object>() });
        using var shortLog = await agent.DoneAsync(id, HttpAgent.Succeeded(logLength: 999));
        using var missingUpload = await agent.DoneAsync(id, new
        {
            status = "succeeded", logLength = 29, logSha256 = new string('0', 64),
            artifacts = new[] { new { path = "dist/", index = 0, size = 10, sha256 = new string('a', 64) } }, cache = Array.Empty<object>(),
        });
        using var badDigest = new HttpRequestMessage(HttpMethod.Put, AgentRoutes.UploadArtifact(id, 0)) { Content = new ByteArrayContent("tar"u8.ToArray()) };
        badDigest.Headers.Add(AgentRoutes.AttemptCredentialHeader, work.AttemptCredential);
        badDigest.Headers.Add(AgentRoutes.Sha256Header, new string('b', 64));
        using var upload = await app.Client(token: null).SendAsync(badDigest);

        await Api.ProblemAsync(unknown, HttpStatusCode.NotFound);
        await Api.ProblemAsync(noOffset, HttpStatusCode.BadRequest);
        await Api.ProblemAsync(halfLine, HttpStatusCode.BadRequest);
        await Api.ProblemAsync(oversized, HttpStatusCode.RequestEntityTooLarge);
        await Api.ExpectAsync(appended, HttpStatusCode.OK);
        await Api.ExpectAsync(wrongOffset, HttpStatusCode.RequestedRangeNotSatisfiable);
        Assert.Equal(29, (await wrongOffset.Content.ReadFromJsonAsync<LogPosition>(AgentJson.Options))!.Length);
        await Api.ProblemAsync(badJson, HttpStatusCode.BadRequest);
        await Api.ExpectAsync(badStatus, HttpStatusCode.BadRequest);
        Assert.Contains("from offset 29", (await Api.ProblemAsync(shortLog, HttpStatusCode.UnprocessableEntity)).Detail(), StringComparison.Ordinal);
        Assert.Contains("was not uploaded", (await Api.ProblemAsync(missingUpload, HttpStatusCode.UnprocessableEntity)).Detail(), StringComparison.Ordinal);
        Assert.Contains("send it again", (await Api.ProblemAsync(upload, HttpStatusCode.BadRequest)).Detail(), StringComparison.Ordinal);
        Assert.Equal("2026-12-04T10:00:00.000Z one\n", await admin.LogAsync(runId, "build"));
        Assert.Equal("running", (await admin.GetRunAsync(runId)).Job("build").Status);
        Assert.Empty(app.Errors.All);
    }

    [Fact]
    public async Task Done_StoresTheLogTailItCarries_OnlyAtTheLogsOffset()
    {
        using var admin = app.Client();
        var (agent, runId, work) = await ClaimAsync(admin);
        var id = work.AttemptId;
        await using var alive = agent.KeepAlive(id);
        const string first = "2026-12-04T10:00:00.000Z first\n", last = "2026-12-04T10:00:01.000Z last\n";
        using var appended = await agent.AppendLogAsync(id, 0, first);
        object Done(string tail, long offset) => new
        {
            status = "succeeded", exitCode = 0, logLength = first.Length + last.Length, logSha256 = new string('0', 64),
            artifacts = Array.Empty<object>(), cache = Array.Empty<object>(), logTail = System.Text.Encoding.UTF8.GetBytes(tail), logTailOffset = offset,
        };

        using var halfLine = await agent.DoneAsync(id, Done("no line feed", first.Length));
        using var wrongOffset = await agent.DoneAsync(id, Done(last, 3));
        using var done = await agent.DoneAsync(id, Done(last, first.Length));

        await Api.ExpectAsync(halfLine, HttpStatusCode.BadRequest);
        Assert.Contains($"from offset {first.Length}", (await Api.ProblemAsync(wrongOffset, HttpStatusCode.UnprocessableEntity)).Detail(), StringComparison.Ordinal);
        Assert.True((await done.Content.ReadFromJsonAsync<DoneAnswer>(AgentJson.Options))!.Recorded);
        Assert.Equal(first + last, await admin.LogAsync(runId, "build"));
        Assert.Equal("succeeded", (await admin.GetRunAsync(runId)).Job("build").Status);
    }

    [Fact]
    public async Task Find_KeepsTheRunningAttemptsRow_UntilTheCancelThatStopsIt()
    {
        using var admin = app.Client();
        var (agent, runId, work) = await ClaimAsync(admin);
        await using var alive = agent.KeepAlive(work.AttemptId);
        var rows = app.Services.GetRequiredService<CurrentAttemptRows>();

        var kept = rows.Find(work.AttemptId);
        using var running = await agent.AppendLogAsync(work.AttemptId, 0, "2026-12-04T10:00:00.000Z running\n");
        await Api.ExpectAsync(await admin.PostAsync($"/api/runs/{runId}/cancel", null), HttpStatusCode.Accepted);
        await admin.WaitForRunAsync(runId, r => r.Status == "canceled", "the run's cancel", TimeSpan.FromSeconds(30));
        var afterCancel = rows.Find(work.AttemptId);
        // Canceled while its agent stops it: its last lines are still taken (read from the database), its end changes nothing.
        var position = await running.Content.ReadFromJsonAsync<LogPosition>(AgentJson.Options);
        using var last = await agent.AppendLogAsync(work.AttemptId, position!.Length, "2026-12-04T10:00:01.000Z stopping\n");
        using var done = await agent.DoneAsync(work.AttemptId, HttpAgent.Succeeded(0));

        Assert.Equal((runId, "build", 1, "running"), (kept!.RunId, kept.JobId, kept.Number, kept.Status));
        Assert.Null(afterCancel);
        await Api.ExpectAsync(last, HttpStatusCode.OK);
        Assert.False((await done.Content.ReadFromJsonAsync<DoneAnswer>(AgentJson.Options))!.Recorded);
        Assert.Null(rows.Find(work.AttemptId));
    }

    [Fact]
    public async Task StaleAttempt_WritesAreRefusedWith409_AfterItsLeaseRanOutAndTheJobWasClaimedAgain()
    {
        using var admin = app.Client();
        var (agent, runId, first) = await ClaimAsync(admin);
        await admin.WaitForRunAsync(runId, r => r.Job("build").Attempts[0].Cause == "lost", "the unextended lease to run out", TimeSpan.FromSeconds(30));
        var second = await agent.NextAsync();
        Assert.Equal((2, "build"), (second.Attempt, second.Job.Id));
        await using var alive = agent.KeepAlive(second.AttemptId);

        using var heartbeat = await agent.SendAsync(HttpMethod.Post, AgentRoutes.Heartbeat(first.AttemptId));
        using var log = await agent.AppendLogAsync(first.AttemptId, 0, "2026-12-04T10:00:00.000Z late\n");
        using var done = await agent.DoneAsync(first.AttemptId, HttpAgent.Succeeded(0));
        using var secondDone = await agent.DoneAsync(second.AttemptId, HttpAgent.Succeeded(0));
        using var secondAgain = await agent.DoneAsync(second.AttemptId, HttpAgent.Succeeded(0));

        Assert.Contains("is stale: attempt 2 replaced it", (await Api.ProblemAsync(heartbeat, HttpStatusCode.Conflict)).Detail(), StringComparison.Ordinal);
        await Api.ProblemAsync(log, HttpStatusCode.Conflict);
        await Api.ProblemAsync(done, HttpStatusCode.Conflict);
        Assert.True((await secondDone.Content.ReadFromJsonAsync<DoneAnswer>(AgentJson.Options))!.Recorded);
        await Api.ExpectAsync(secondAgain, HttpStatusCode.OK);
        Assert.False((await secondAgain.Content.ReadFromJsonAsync<DoneAnswer>(AgentJson.Options))!.Recorded);
        var run = await admin.GetRunAsync(runId);
        Assert.Equal(("succeeded", "lost"), (run.Status, run.Job("build").Attempts[0].Cause));
    }

    [Fact]
    public async Task Done_AnswersTheSlotsNextJobLeasedAndFencedLikeAnyClaim_WhenTheAgentAsksForIt()
    {
        using var admin = app.Client();
        var (agent, runId, first) = await ClaimAsync(admin, "build", "lint");
        DoneAnswer? answer;
        await using (agent.KeepAlive(first.AttemptId))
        {
            using var done = await agent.DoneAsync(first.AttemptId, HttpAgent.SucceededWantingNext(0));
            await Api.ExpectAsync(done, HttpStatusCode.OK);
            answer = await done.Content.ReadFromJsonAsync<DoneAnswer>(AgentJson.Options);
        }

        var next = answer!.Next!;
        await using var alive = agent.KeepAlive(next.AttemptId);
        using var heartbeat = await agent.SendAsync(HttpMethod.Post, AgentRoutes.Heartbeat(next.AttemptId));
        using var source = new HttpRequestMessage(HttpMethod.Get, AgentRoutes.Source(next.AttemptId));
        source.Headers.Add(AgentRoutes.AttemptCredentialHeader, next.AttemptCredential);
        using var downloaded = await app.Client(token: null).SendAsync(source);
        using var oldCredential = new HttpRequestMessage(HttpMethod.Get, AgentRoutes.Source(next.AttemptId));
        oldCredential.Headers.Add(AgentRoutes.AttemptCredentialHeader, first.AttemptCredential);
        using var refused = await app.Client(token: null).SendAsync(oldCredential);
        var running = await admin.GetRunAsync(runId);
        using var nextDone = await agent.DoneAsync(next.AttemptId, HttpAgent.SucceededWantingNext(0));

        Assert.True(answer.Recorded);
        Assert.Equal(("build", "lint", 1), (first.Job.Id, next.Job.Id, next.Attempt));
        Assert.NotEqual(first.AttemptId, next.AttemptId);
        Assert.True(next.LeaseSeconds > 0);
        Assert.False((await heartbeat.Content.ReadFromJsonAsync<HeartbeatAnswer>(AgentJson.Options))!.Cancel);
        await Api.ExpectAsync(downloaded, HttpStatusCode.OK);
        await Api.ProblemAsync(refused, HttpStatusCode.Unauthorized);
        Assert.Equal(("succeeded", "running"), (running.Job("build").Status, running.Job("lint").Status));
        // Nothing left for the agent: the end is acknowledged without a job, and the agent polls jobs/next.
        var last = (await nextDone.Content.ReadFromJsonAsync<DoneAnswer>(AgentJson.Options))!;
        Assert.Equal((true, null), (last.Recorded, last.Next));
        Assert.Equal("succeeded", (await admin.GetRunAsync(runId)).Status);
    }

    [Fact]
    public async Task Done_LosesNoJob_WhenTheAnswerCarryingTheNextOneIsLost()
    {
        using var admin = app.Client();
        var (agent, runId, first) = await ClaimAsync(admin, "build", "lint");
        AgentAssignment lostNext;
        await using (agent.KeepAlive(first.AttemptId))
        {
            using var done = await agent.DoneAsync(first.AttemptId, HttpAgent.SucceededWantingNext(0));
            // The agent never sees this answer: it neither extends the lease of the job it names nor runs it.
            lostNext = (await done.Content.ReadFromJsonAsync<DoneAnswer>(AgentJson.Options))!.Next!;
        }

        await admin.WaitForRunAsync(runId, r => r.Job("lint").Attempts[0].Cause == "lost", "the lease of the job in the lost answer to run out", TimeSpan.FromSeconds(30));
        var retried = await agent.NextAsync();
        await using var alive = agent.KeepAlive(retried.AttemptId);
        using var staleHeartbeat = await agent.SendAsync(HttpMethod.Post, AgentRoutes.Heartbeat(lostNext.AttemptId));
        using var staleDone = await agent.DoneAsync(lostNext.AttemptId, HttpAgent.Succeeded(0));
        using var done2 = await agent.DoneAsync(retried.AttemptId, HttpAgent.Succeeded(0));

        Assert.Equal(("lint", 1, 2), (lostNext.Job.Id, lostNext.Attempt, retried.Attempt));
        await Api.ProblemAsync(staleHeartbeat, HttpStatusCode.Conflict);
        await Api.ProblemAsync(staleDone, HttpStatusCode.Conflict);
        await Api.ExpectAsync(done2, HttpStatusCode.OK);
        Assert.Equal("succeeded", (await admin.GetRunAsync(runId)).Status);
    }

    [Fact]
    public async Task Agents_AreListedDisabledAndDeleted_ByAnAdmin()
    {
        using var admin = app.Client();
        var label = Label();
        var agent = await HttpAgent.RegisterAsync(app.Client(token: null), admin, "managed-" + label, "linux", label);

        using var disabled = await admin.PatchAsJsonAsync($"/api/agents/{agent.Name}", new { disabled = true });
        await Api.ExpectAsync(disabled, HttpStatusCode.OK);
        Assert.Equal("disabled", (await disabled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        var project = await admin.CreateProjectAsync(app, app.NewRepository(Pipeline(label)));
        var runId = await admin.TriggerAsync(project);
        using var none = await agent.SendAsync(HttpMethod.Post, AgentRoutes.Next + "?wait=1");
        await Api.ExpectAsync(none, HttpStatusCode.NoContent);
        var reason = (await admin.GetRunAsync(runId)).Job("build").Reason;
        Assert.True(reason == "no agent online" || reason!.StartsWith($"no agent has the labels {label} (nearest: ", StringComparison.Ordinal), reason);

        using var viewer = app.Client(await app.CreateTokenAsync(Pipeliner.Server.Auth.Role.Viewer));
        using var forbidden = await viewer.DeleteAsync($"/api/agents/{agent.Name}");
        await Api.ProblemAsync(forbidden, HttpStatusCode.Forbidden);
        using var list = await viewer.GetAsync("/api/agents");
        var listed = (await list.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().Single(a => a.GetProperty("name").GetString() == agent.Name);
        Assert.Equal(["name", "labels", "capacity", "status", "lastSeenAt", "version", "runningJobs"], listed.EnumerateObject().Select(p => p.Name));

        using var deleted = await admin.DeleteAsync($"/api/agents/{agent.Name}");
        await Api.ExpectAsync(deleted, HttpStatusCode.NoContent);
        using var gone = await agent.SendAsync(HttpMethod.Post, AgentRoutes.Next + "?wait=0");
        await Api.ProblemAsync(gone, HttpStatusCode.Unauthorized);
        using var audit = await admin.GetAsync("/api/audit");
        var entries = await audit.Content.ReadAsStringAsync();
        Assert.Contains("agent.disable", entries, StringComparison.Ordinal);
        Assert.Contains("agent.delete", entries, StringComparison.Ordinal);
    }
}
