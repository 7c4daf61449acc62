using Hangfire.Dashboard;

namespace Pipeliner.Server.Auth;

/// <summary>The Hangfire dashboard is for admins only (the request must carry an admin token).</summary>
public sealed class AdminDashboardFilter : IDashboardAuthorizationFilter
{
    public bool Authorize(DashboardContext context) => context.GetHttpContext().User.Has(Role.Admin);
}
