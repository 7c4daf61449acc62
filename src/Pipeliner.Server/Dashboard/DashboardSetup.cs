namespace Pipeliner.Server.Dashboard;

/// <summary>The web dashboard's part of the server: its read endpoints and its files. Two lines in ServerSetup.</summary>
public static class DashboardSetup
{
    public static IServiceCollection AddDashboard(this IServiceCollection services) => services
        .AddSingleton<LogPageIndex>()
        .AddScoped<LogDownloadTickets>();

    public static void MapDashboard(this WebApplication app)
    {
        app.MapMe();
        app.MapOverviews();
        app.MapLogBrowsing();
        app.UseDashboardFiles();
    }
}
