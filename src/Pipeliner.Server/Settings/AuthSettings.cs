using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeliner.Server.Settings;

/// <summary><c>Pipeliner:Auth:Session</c>: how long a dashboard sign-in lasts.</summary>
public sealed class SessionLifetimeOptions
{
    [Description("A session without \"keep me signed in\" ends after this long without a request.")]
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00", ErrorMessage = "must be between 1 minute and 30 days")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromHours(8);

    [Description("A session with \"keep me signed in\" ends this long after the sign-in, used or not.")]
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00", ErrorMessage = "must be between 1 minute and 365 days")]
    public TimeSpan RememberFor { get; set; } = TimeSpan.FromDays(14);
}

/// <summary><c>Pipeliner:Auth:SignInThrottle</c>: how repeated wrong passwords are slowed down.</summary>
public sealed class SignInThrottleOptions
{
    [Description("Wrong passwords for one user name within the window before further attempts for it must wait.")]
    [Range(1, 1000, ErrorMessage = "must be between 1 and 1000")]
    public int FailuresPerUser { get; set; } = 5;

    [Description("Wrong passwords from one client address within the window before further attempts from it must wait.")]
    [Range(1, 10000, ErrorMessage = "must be between 1 and 10000")]
    public int FailuresPerAddress { get; set; } = 20;

    [Description("Failures older than this are forgotten.")]
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "must be between 1 second and 1 day")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(15);

    [Description("The wait after the first failure over the limit; it doubles with each further one.")]
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00", ErrorMessage = "must be between 1 millisecond and 1 hour")]
    public TimeSpan FirstDelay { get; set; } = TimeSpan.FromSeconds(1);

    [Description("The longest wait.")]
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00", ErrorMessage = "must be between 1 millisecond and 1 day")]
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMinutes(15);
}

/// <summary><c>Pipeliner:Auth:Oidc</c>: single sign-on with an OpenID Connect provider; off while Authority is empty.</summary>
public sealed class OidcOptions
{
    [Description("The provider's issuer URL (its /.well-known/openid-configuration is read); empty turns single sign-on off.")]
    public string? Authority { get; set; }

    [Description("The client id registered at the provider for Pipeliner (redirect URI: {server}/signin-oidc).")]
    public string? ClientId { get; set; }

    [Description("The client secret registered at the provider.")]
    public string? ClientSecret { get; set; }

    [Description("A claim whose values are Pipeliner role names (viewer, developer, release-manager, admin); the highest one found sets the user's role at each sign-in. Empty: roles are managed in Pipeliner.")]
    public string? RoleClaim { get; set; }

    [Description("The role of a user created at their first single sign-on when the role claim names none.")]
    [AllowedValues("viewer", "developer", "release-manager", "admin", ErrorMessage = "must be viewer, developer, release-manager or admin")]
    public string DefaultRole { get; set; } = "viewer";

    [Description("The claim that names the user in Pipeliner (then email, then sub, when it is missing).")]
    public string NameClaim { get; set; } = "preferred_username";

    [Description("Scopes asked for besides openid (space-separated).")]
    public string Scopes { get; set; } = "profile email";

    [Description("What the sign-in page's button says: \"Sign in with {DisplayName}\".")]
    public string DisplayName { get; set; } = "single sign-on";

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);
}
