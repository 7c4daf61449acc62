using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Auth.Sessions;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Auth;

/// <summary>
/// Every write of the server, sent with an admin's session cookie but without the dashboard's anti-forgery proof (or
/// with a wrong one), is refused with 403 before it does anything; the same request with the proof is not.
/// </summary>
public sealed class AntiForgeryTests(SessionMatrixApp app) : IClassFixture<SessionMatrixApp>
{
    public static TheoryData<string> Writes => new(RoleMatrix.Endpoints.Where(e => e.Method != "GET").Select(e => e.Key));

    [Theory]
    [MemberData(nameof(Writes))]
    public async Task Write_Returns403_WhenTheSessionCookieComesWithoutTheProof(string endpoint)
    {
        var row = RoleMatrix.Endpoints.Single(e => e.Key == endpoint);
        var scene = await app.SceneAsync();
        var admin = scene.Sessions![Role.Admin];
        var auditBefore = await AuditCountAsync();

        foreach (var proof in new[] { null, "", "plr_not-the-proof", admin.Csrf + "x" })
        {
            using var request = RoleMatrixScene.RequestOf(row, scene.PathOf(row));
            if (proof is not null) request.Headers.Add(SessionCookies.CsrfHeader, proof);
            using var response = await admin.Http.SendAsync(request);

            var problem = await Api.ProblemAsync(response, HttpStatusCode.Forbidden);
            Assert.Contains("anti-forgery proof", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(auditBefore, await AuditCountAsync());
        Assert.NotEqual(HttpStatusCode.Forbidden, await scene.CallAsync(row, Role.Admin));
    }

    [Fact]
    public async Task SignOut_Returns403AndKeepsTheSession_WhenTheProofIsMissing()
    {
        var scene = await app.SceneAsync();
        var viewer = scene.Sessions![Role.Viewer];

        using var forged = await viewer.SendAsync(HttpMethod.Delete, "/api/session", withProof: false);

        await Api.ProblemAsync(forged, HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.OK, (await viewer.Http.GetAsync("/api/projects")).StatusCode);
    }

    [Fact]
    public async Task Reads_NeedNoProof_WithTheSessionCookie()
    {
        var scene = await app.SceneAsync();
        var viewer = scene.Sessions![Role.Viewer];
        Assert.Equal(HttpStatusCode.OK, (await viewer.Http.GetAsync($"/api/runs/{scene.RunId}")).StatusCode);
    }

    private async Task<int> AuditCountAsync()
    {
        using var admin = app.Client();
        return (await admin.GetFromJsonAsync<JsonElement>("/api/audit", Api.Json)).GetProperty("total").GetInt32();
    }
}
