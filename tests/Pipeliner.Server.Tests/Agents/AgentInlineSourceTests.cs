using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Agent.Contracts;
using Pipeliner.Engine.Storage;
using Pipeliner.Server.Agents;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Agents;

/// <summary>
/// A small commit tree travels in the assignment itself (<see cref="AgentAssignment.SourceTar"/>), byte for byte what
/// <c>source.tar</c> answers, so that the agent's slot makes no download call for it; a tree not made yet or too large is
/// left to the download.
/// </summary>
public class AgentInlineSourceTests(AgentInlineSourceTests.RemoteAgentsApp app) : IClassFixture<AgentInlineSourceTests.RemoteAgentsApp>
{
    /// <summary>No embedded agent, the default lease (no heartbeats needed while the test plays the agent).</summary>
    public sealed class RemoteAgentsApp() : PipelinerApp(agentCapacity: 0);

    [Fact]
    public async Task Assignment_CarriesTheCommitsTreeAsSourceTarAnswersIt_WhenTheServerHoldsItAndItIsSmall()
    {
        using var admin = app.Client();
        var label = "t" + Guid.NewGuid().ToString("N")[..8];
        var project = await admin.CreateProjectAsync(app, app.NewRepository(
            $"stages: [test]\ndefaults: {{ image: alpine:3 }}\njobs:\n  build:\n    stage: test\n    runs-on: [{label}]\n    script: [\"echo build\"]\n" +
            $"  lint:\n    stage: test\n    runs-on: [{label}]\n    script: [\"echo lint\"]\n"));
        await admin.TriggerAsync(project);
        var agent = await HttpAgent.RegisterAsync(app.Client(token: null), admin, "agent-" + label, "linux", label);
        var first = await agent.NextAsync();
        // The download waits for the tar if the run's creation is still making it: from here on the server holds it.
        var downloaded = await DownloadSourceAsync(first);
        using var firstDone = await agent.DoneAsync(first.AttemptId, HttpAgent.SucceededWantingNext(0));
        await Api.ExpectAsync(firstDone, HttpStatusCode.OK);
        var next = (await firstDone.Content.ReadFromJsonAsync<DoneAnswer>(AgentJson.Options))!.Next!;
        using var nextDone = await agent.DoneAsync(next.AttemptId, HttpAgent.Succeeded(0));
        await Api.ExpectAsync(nextDone, HttpStatusCode.OK);

        await admin.TriggerAsync(project);
        var polled = await agent.NextAsync();

        Assert.True(downloaded.Length is > 0 and <= AgentRoutes.MaxInlineSourceBytes, $"a small tree ({downloaded.Length} bytes)");
        Assert.Equal("lint", next.Job.Id);
        Assert.Equal(downloaded, next.SourceTar);
        Assert.Equal(downloaded, polled.SourceTar);
        Assert.Equal(downloaded, await DownloadSourceAsync(polled));
    }

    [Fact]
    public void ReadIfSmall_LeavesTheTreeToTheDownload_WhenItIsNotMadeYetOrLargerThanTheLimit()
    {
        var sources = app.Services.GetRequiredService<SourceArchives>();
        var layout = app.Services.GetRequiredService<DataLayout>();
        var project = "p" + Guid.NewGuid().ToString("N")[..8];
        var folder = Path.Combine(layout.Root, "sources", project);
        Directory.CreateDirectory(folder);

        var notMade = sources.ReadIfSmall(project, "0123456789abcdef0123456789abcdef01234567", 100);
        File.WriteAllBytes(Path.Combine(folder, "89abcdef0123456789abcdef0123456789abcdef.tar"), new byte[101]);
        File.WriteAllBytes(Path.Combine(folder, "fedcba9876543210fedcba9876543210fedcba98.tar"), new byte[100]);

        Assert.Null(notMade);
        Assert.Null(sources.ReadIfSmall(project, "89abcdef0123456789abcdef0123456789abcdef", 100));
        Assert.Equal(100, sources.ReadIfSmall(project, "fedcba9876543210fedcba9876543210fedcba98", 100)?.Length);
    }

    private async Task<byte[]> DownloadSourceAsync(AgentAssignment work)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, AgentRoutes.Source(work.AttemptId));
        request.Headers.Add(AgentRoutes.AttemptCredentialHeader, work.AttemptCredential);
        using var response = await app.Client(token: null).SendAsync(request);
        await Api.ExpectAsync(response, HttpStatusCode.OK);
        return await response.Content.ReadAsByteArrayAsync();
    }
}
