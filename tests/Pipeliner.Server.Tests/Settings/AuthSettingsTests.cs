using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Tests.Settings;

/// <summary>The sign-in settings are checked at start and each problem is named by its key.</summary>
public class AuthSettingsTests
{
    public static TheoryData<Action<AuthOptions>, string> InvalidAuth => new()
    {
        { auth => auth.PasswordMinLength = 4, "Pipeliner:Auth:PasswordMinLength: must be between 8 and 128" },
        { auth => auth.Session.IdleTimeout = TimeSpan.Zero, "Pipeliner:Auth:Session:IdleTimeout: must be between 1 minute and 30 days" },
        { auth => auth.SignInThrottle.FailuresPerUser = 0, "Pipeliner:Auth:SignInThrottle:FailuresPerUser: must be between 1 and 1000" },
        { auth => auth.Oidc = new OidcOptions { Authority = "not a url", ClientId = "c", ClientSecret = "s" }, "Pipeliner:Auth:Oidc:Authority: an http(s) URL, e.g. https://login.example.com/realms/main" },
        { auth => auth.Oidc = new OidcOptions { Authority = "http://login.example.com", ClientId = "c", ClientSecret = "s" }, "Pipeliner:Auth:Oidc:Authority: must be https (plain http only for a provider on this machine)" },
        { auth => auth.Oidc = new OidcOptions { Authority = "https://login.example.com", ClientSecret = "s" }, "Pipeliner:Auth:Oidc:ClientId: required when Authority is set" },
        { auth => auth.Oidc = new OidcOptions { Authority = "https://login.example.com", ClientId = "c" }, "Pipeliner:Auth:Oidc:ClientSecret: required when Authority is set" },
        { auth => auth.Oidc = new OidcOptions { Authority = "https://login.example.com", ClientId = "c", ClientSecret = "s", DefaultRole = "root" }, "Pipeliner:Auth:Oidc:DefaultRole: must be viewer, developer, release-manager or admin" },
    };

    [Theory]
    [MemberData(nameof(InvalidAuth))]
    public void Validate_NamesTheSetting_WhenASignInSettingIsWrong(Action<AuthOptions> change, string failure)
    {
        var options = new PipelinerOptions();
        change(options.Auth);

        var result = new PipelinerOptionsValidator().Validate(null, options);

        Assert.Contains(failure, result.Failures ?? []);
    }

    [Fact]
    public void Validate_Succeeds_ForTheDefaultsAndAProviderOnThisMachine()
    {
        var options = new PipelinerOptions();
        Assert.True(new PipelinerOptionsValidator().Validate(null, options).Succeeded);
        options.Auth.Oidc = new OidcOptions { Authority = "http://127.0.0.1:9000", ClientId = "c", ClientSecret = "s" };
        Assert.True(new PipelinerOptionsValidator().Validate(null, options).Succeeded);
    }
}
