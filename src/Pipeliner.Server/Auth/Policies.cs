using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Auth;

/// <summary>The authorization policies endpoints use: read, signed in, trigger (developer), release manager, admin.</summary>
public static class Policies
{
    public const string Read = "read";
    /// <summary>Anyone signed in (token or session), whatever the role; never anonymous.</summary>
    public const string SignedIn = "signed-in";
    public const string Developer = "developer";
    public const string ReleaseManager = "release-manager";
    public const string Admin = "admin";

    public static void Add(AuthorizationOptions authorization, IOptions<PipelinerOptions> options)
    {
        authorization.AddPolicy(Read, policy => policy.RequireAssertion(context =>
            options.Value.Auth.AnonymousRead || context.User.Has(Role.Viewer)));
        authorization.AddPolicy(SignedIn, policy => policy.RequireAssertion(context => context.User.Has(Role.Viewer)));
        authorization.AddPolicy(Developer, policy => policy.RequireAssertion(context => context.User.Has(Role.Developer)));
        authorization.AddPolicy(ReleaseManager, policy => policy.RequireAssertion(context => context.User.Has(Role.ReleaseManager)));
        authorization.AddPolicy(Admin, policy => policy.RequireAssertion(context => context.User.Has(Role.Admin)));
    }
}
