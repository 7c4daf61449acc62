using System.Net;
using System.Net.Http.Json;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Dashboard;
using Pipeliner.Web.Tests.Support;

namespace Pipeliner.Web.Tests.Endpoints;

public sealed class MeEndpointTests(DashboardApp app) : IClassFixture<DashboardApp>
{
    [Fact]
    public async Task A_token_gets_its_user_name_and_role()
    {
        var me = await app.Client().GetFromJsonAsync<MeResponse>("/api/me");
        Assert.Equal(new MeResponse("admin", "admin", "bootstrap", "admin", AnonymousRead: false), me);

        var developer = await app.CreateTokenAsync(Role.Developer);
        var asDeveloper = await app.Client(developer).GetFromJsonAsync<MeResponse>("/api/me");
        Assert.Equal("developer", asDeveloper!.Role);
    }

    [Fact]
    public async Task Nobody_is_anonymous_and_learns_that_reading_needs_a_token()
    {
        var me = await app.Client(token: null).GetFromJsonAsync<MeResponse>("/api/me");
        Assert.Equal(new MeResponse(null, null, null, null, AnonymousRead: false), me);
    }

    [Fact]
    public async Task An_unknown_token_is_refused_rather_than_taken_for_nobody()
    {
        var response = await app.Client("plr_not-a-token").GetAsync("/api/me");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}

public sealed class AnonymousMeEndpointTests(AnonymousReadApp app) : IClassFixture<AnonymousReadApp>
{
    [Fact]
    public async Task Anonymous_reading_is_announced()
    {
        var me = await app.Client(token: null).GetFromJsonAsync<MeResponse>("/api/me");
        Assert.Equal(new MeResponse(null, null, null, null, AnonymousRead: true), me);
        Assert.Equal(HttpStatusCode.OK, (await app.Client(token: null).GetAsync("/api/projects")).StatusCode);
    }
}
