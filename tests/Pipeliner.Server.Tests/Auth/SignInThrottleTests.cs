using System.Globalization;
using System.Net;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Auth.Sessions;
using Pipeliner.Server.Settings;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Auth;

/// <summary>
/// Repeated wrong passwords are slowed down per user name and per client address (the test server: three per name,
/// ten per address, first wait one minute, doubling), whether or not the user exists, and are audited.
/// </summary>
public sealed class SignInThrottleTests(SessionApp app) : IClassFixture<SessionApp>
{
    private static int _addresses;

    [Fact]
    public async Task SignIn_Returns429WithRetryAfter_WhenANameHadTooManyFailures_EvenWithTheRightPassword()
    {
        var name = await app.CreateUserWithPasswordAsync(Role.Viewer, "guessed");
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.Unauthorized, await SignInAsync(name, "wrong password " + i));

        using var blocked = await app.Browser(NewAddress()).PostSessionAsync(name, SessionApi.Password);

        var problem = await Api.ProblemAsync(blocked, (HttpStatusCode)429);
        Assert.Contains("try again in", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.InRange(int.Parse(blocked.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture), 55, 60);
        var audit = await app.Client().AuditOfAsync($"user {name}");
        Assert.Equal(3, audit.Count(e => e.GetProperty("action").GetString() == "session.fail"));
        Assert.Contains(audit, e => e.GetProperty("details").GetString()!.Contains("wait until", StringComparison.Ordinal));

        app.Clock.Shift += TimeSpan.FromSeconds(61);
        Assert.Equal(HttpStatusCode.NoContent, await SignInAsync(name, SessionApi.Password));
        // A success starts the count over: three more failures are needed for the next wait.
        for (var i = 0; i < 2; i++) Assert.Equal(HttpStatusCode.Unauthorized, await SignInAsync(name, "wrong again " + i));
        Assert.Equal(HttpStatusCode.NoContent, await SignInAsync(name, SessionApi.Password));
    }

    [Fact]
    public async Task SignIn_WaitsTwiceAsLong_ForEachFailureAfterTheFirstWait()
    {
        var name = await app.CreateUserWithPasswordAsync(Role.Viewer, "doubling");
        for (var i = 0; i < 3; i++) await SignInAsync(name, "wrong " + i);
        app.Clock.Shift += TimeSpan.FromSeconds(61);
        Assert.Equal(HttpStatusCode.Unauthorized, await SignInAsync(name, "wrong once more"));

        using var blocked = await app.Browser(NewAddress()).PostSessionAsync(name, SessionApi.Password);

        Assert.Equal((HttpStatusCode)429, blocked.StatusCode);
        Assert.InRange(int.Parse(blocked.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture), 115, 120);
    }

    [Fact]
    public async Task SignIn_IsSlowedDownTheSame_ForANameNoUserHas()
    {
        var ghost = "ghost-" + Guid.NewGuid().ToString("N");
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.Unauthorized, await SignInAsync(ghost, "guess " + i));
        Assert.Equal((HttpStatusCode)429, await SignInAsync(ghost, "guess 4"));
    }

    [Fact]
    public async Task SignIn_Returns429ForEveryName_FromAnAddressWithTooManyFailures_ButNotForOtherAddresses()
    {
        var address = NewAddress();
        var victim = await app.CreateUserWithPasswordAsync(Role.Viewer, "sprayed");
        for (var i = 0; i < 10; i++) Assert.Equal(HttpStatusCode.Unauthorized, await SignInAsync($"spray-{i}-{Guid.NewGuid():N}", "password", address));

        Assert.Equal((HttpStatusCode)429, await SignInAsync(victim, SessionApi.Password, address));
        Assert.Equal(HttpStatusCode.NoContent, await SignInAsync(victim, SessionApi.Password, NewAddress()));
    }

    [Fact]
    public async Task SignIn_LetsOnlyTheAllowedNumberThrough_WhenManyWrongAttemptsArriveAtOnce()
    {
        var name = await app.CreateUserWithPasswordAsync(Role.Viewer, "parallel");

        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => SignInAsync(name, "parallel guess " + i)));

        Assert.Equal(3, answers.Count(a => a == HttpStatusCode.Unauthorized));
        Assert.Equal(9, answers.Count(a => a == (HttpStatusCode)429));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(5, 16)]
    [InlineData(20, 900)]
    public void Delay_DoublesFromTheFirstDelayUpToTheLongest(int over, int seconds)
    {
        var settings = new SignInThrottleOptions { FirstDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromMinutes(15) };
        Assert.Equal(TimeSpan.FromSeconds(seconds), SignInThrottle.Delay(settings, over));
    }

    private async Task<HttpStatusCode> SignInAsync(string user, string password, string? address = null)
    {
        using var browser = app.Browser(address ?? NewAddress());
        using var response = await browser.PostSessionAsync(user, password);
        return response.StatusCode;
    }

    /// <summary>A client address no other attempt used, so only the name's count matters.</summary>
    private static string NewAddress()
    {
        var n = Interlocked.Increment(ref _addresses);
        return $"10.77.{n / 250}.{n % 250 + 1}";
    }
}
