using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Settings;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Settings;

/// <summary>The contract keys Pipeliner:Agent:Labels and Pipeliner:Auth:AnonymousRead, set as configuration.</summary>
public class PipelinerOptionsTests(PipelinerOptionsTests.ConfiguredApp app) : IClassFixture<PipelinerOptionsTests.ConfiguredApp>
{
    public sealed class ConfiguredApp() : PipelinerApp(agentCapacity: 0, new Dictionary<string, string>
    {
        ["Pipeliner:Agent:Labels:0"] = "gpu",
        ["Pipeliner:Agent:Labels:1"] = "arm64",
        ["Pipeliner:Auth:AnonymousRead"] = "true",
    });

    [Fact]
    public void AgentLabels_AreExactlyTheConfiguredOnes_WhenLabelsAreConfigured()
    {
        var options = app.Services.GetRequiredService<IOptions<PipelinerOptions>>().Value;

        Assert.Equal(["gpu", "arm64"], options.Agent.Labels);
    }

    [Fact]
    public async Task AnonymousRead_LetsReadsThroughWithoutAToken_WhenEnabled()
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, repository);
        var id = await admin.TriggerAsync(project);
        using var anonymous = app.Client(token: null);

        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/api/projects")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync($"/api/projects/{project}/runs")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync($"/api/runs/{id}")).StatusCode);
    }

    [Fact]
    public async Task AnonymousRead_StillRefusesWrites_WhenEnabled()
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, repository);
        using var anonymous = app.Client(token: null);

        using var trigger = await anonymous.PostRunAsync(project);
        using var create = await anonymous.PostProjectAsync(app.NewProjectName("anonymous"), repository.Path);

        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized), (trigger.StatusCode, create.StatusCode));
    }
}

public class DefaultOptionsTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    [Fact]
    public void AgentLabels_AreLinuxAndDocker_WhenNoneAreConfigured()
    {
        var options = app.Services.GetRequiredService<IOptions<PipelinerOptions>>().Value;

        Assert.Equal(["linux", "docker"], options.Agent.Labels);
        Assert.False(options.Auth.AnonymousRead);
        Assert.Equal(app.DataDir, options.DataDir);
    }
}
