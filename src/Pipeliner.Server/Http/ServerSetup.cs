using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.Common;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Pipeliner.Engine.Backends;
using Pipeliner.Engine.Backends.Docker;
using Pipeliner.Engine.Backends.Shell;
using Pipeliner.Engine.Execution;
using Pipeliner.Engine.Storage;
using Pipeliner.Server.Artifacts;
using Pipeliner.Engine.Workspaces;
using Pipeliner.Server.Agents;
using Pipeliner.Server.Audit;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Auth.Sessions;
using Pipeliner.Server.Badges;
using Pipeliner.Server.Dashboard;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.ForgeStatuses;
using Pipeliner.Server.Hosting;
using Pipeliner.Server.Environments;
using Pipeliner.Server.Logs;
using Pipeliner.Server.Logs.Search;
using Pipeliner.Server.Usage;
using Pipeliner.Server.Projects;
using Pipeliner.Server.Reports;
using Pipeliner.Server.Runs;
using Pipeliner.Server.Scheduling;
using Pipeliner.Server.ProjectSecrets;
using Pipeliner.Server.Retention;
using Pipeliner.Server.Settings;
using Pipeliner.Server.Webhooks;
using Prometheus;

namespace Pipeliner.Server.Http;

/// <summary>Everything the server is made of, registered in one place; <c>Program.cs</c> stays three lines.</summary>
public static class ServerSetup
{
    public static void AddPipeliner(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<IValidateOptions<PipelinerOptions>, PipelinerOptionsValidator>();
        services.AddOptions<PipelinerOptions>().Bind(builder.Configuration.GetSection(PipelinerOptions.Section))
            .ValidateOnStart()
            // Binding appends to a list that has items already: defaults go in only when nothing was configured.
            .PostConfigure(options =>
            {
                if (options.Agent.Labels.Count == 0) options.Agent.Labels.AddRange(AgentOptions.DefaultLabels);
            });
        var settings = builder.Configuration.GetSection(PipelinerOptions.Section).Get<PipelinerOptions>() ?? new PipelinerOptions();
        var dataDir = DataDirectory.Prepare(settings.DataDir);

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<StartupReport>();
        services.AddSingleton(new DataLayout(dataDir));
        var database = DatabaseProviders.For(settings, builder.Configuration, dataDir);
        services.AddSingleton(database);
        database.AddDbContext(services);
        // First of all: beside the other hosted services' start it gives back the files' pages the start reads as it reads
        // them (EF Core's model, the migrations' check, Hangfire): the start's peak formed there.
        services.AddSingleton<FilePageOut>();
        services.AddHostedService<IdleMemoryTrim>();
        // Before every other hosted service but the memory trim (Data Protection's included): the schema and the shared key ring first.
        services.AddHostedService<DatabasePreparation>();
        // Once the server is up, below its priority: the code a webhook's first suspended body read would compile while answered.
        services.AddHostedService<FirstSuspensionWarmUp>();
        // The keys that encrypt secrets, webhook secrets and forge tokens: in the data directory for one server, in the
        // database when replicas share it (an existing keys/ folder is imported at start, DataProtectionKeyImport).
        var protection = services.AddDataProtection().SetApplicationName("Pipeliner");
        if (database.SupportsReplicas) protection.PersistKeysToDbContext<PipelinerDbContext>();
        else protection.PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDir, DataProtectionKeyImport.KeysFolder)));

        services.AddPipelinerAuth(settings);
        services.AddProblemDetails();
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        services.AddExceptionHandler<DatabaseUnavailableExceptionHandler>();
        // Binding failures throw, so that the handler above can say what was wrong.
        services.Configure<RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
        services.AddOpenApi(openApi => openApi.AddDocumentTransformer<BearerSecurityDocument>());
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase);

        services.AddSingleton<IExecutionBackend>(_ => settings.Agent.Backend == "shell"
            ? new ShellBackend()
            : new DockerBackend(shellBackendSetting: AgentOptions.ShellBackendSetting));
        services.AddSingleton<RepositoryCredentialStore>();
        services.AddSingleton<IRepositoryCredentialSource>(provider => provider.GetRequiredService<RepositoryCredentialStore>());
        services.AddSingleton<WorkspacePreparer>();
        services.AddSingleton<WorkspaceJanitor>();
        // The embedded agent writes no log file of its own: its lines are stored through ILogStore, as a remote agent's are.
        services.AddSingleton(provider => new JobRunner(
            provider.GetRequiredService<IExecutionBackend>(), provider.GetRequiredService<DataLayout>(),
            provider.GetRequiredService<WorkspacePreparer>(), provider.GetRequiredService<TimeProvider>(), writeLogFiles: false));
        services.AddSingleton<RunLocks>();
        services.AddSingleton<RunAggregateCache>();
        services.TryAddSingleton<ProjectWrites>();
        services.AddSingleton<DispatchSignal>();
        database.AddRunEvents(services);
        services.AddSingleton<LogMasking>();
        services.AddSingleton<ServerMetrics>();
        services.AddSingleton<RunCoordinator>();
        services.AddSingleton<ServerWork>();
        services.AddSingleton<ActiveAttempts>();
        services.AddSingleton<CurrentAttemptRows>();
        services.AddSingleton<RemoteAgentPresence>();
        services.AddSingleton<AgentDispatch>();
        services.AddSingleton<AgentDirectory>();
        services.AddSingleton<IAgentProtocol, InProcessAgentProtocol>();
        services.AddSingleton<SourceArchives>();
        services.AddSingleton<ReportRecorder>();
        services.AddScoped<RunStore>();
        services.AddScoped<RunReader>();
        services.AddScoped<RunFactory>();
        services.AddScoped<LeaseSweeper>();
        services.AddScoped<UploadSweeper>();
        services.AddSingleton<UploadSweepSchedule>();
        services.AddScoped<StalledRunRecovery>();
        services.AddScoped<PendingReasonWriter>();
        services.AddScoped<AgentHousekeepingPass>();
        services.AddScoped<BootstrapAdmin>();
        services.AddHttpContextAccessor();
        services.AddScoped<AuditTrail>();
        services.AddScoped<SecretVault>();
        services.AddScoped<Promotions>();
        services.AddScoped<EnvironmentGate>();
        services.AddScoped<LocalRepositoryPolicy>();
        services.AddWebhooks();
        services.AddLogs(settings.Storage);
        services.AddArchiveStores(settings.Storage);
        services.AddRetention();
        services.AddDashboard();
        services.AddForgeStatuses();

        // The storage and the job activator are this host's own services rather than Hangfire's statics (JobStorage.Current,
        // JobActivator.Current), so that two servers in one process (tests) never run jobs in each other's services;
        // retries are attributes on the job methods.
        services.AddSingleton<JobActivator>(provider => new AspNetCoreJobActivator(provider.GetRequiredService<IServiceScopeFactory>()));
        // Jobs enqueued here wake the workers at once (the doorbell), so the queue is polled only for jobs from elsewhere.
        services.AddSingleton<QueueDoorbell>();
        services.AddSingleton<IJobFilterProvider, DoorbellFilterProvider>();
        services.AddSingleton<JobStorage>(provider => new DoorbellStorage(database.CreateJobStorage(), provider.GetRequiredService<QueueDoorbell>()));
        services.AddHangfire((provider, hangfire) => hangfire
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseLogProvider(new HangfireLogProvider(provider.GetRequiredService<ILoggerFactory>())));
        services.AddHangfireServer(server =>
        {
            server.WorkerCount = Math.Max(2, Environment.ProcessorCount);
            server.SchedulePollingInterval = settings.RetryPollInterval;
            QuietAtIdle(server);
        });
        // The forge-status queue's own workers, so that commit statuses never wait behind runs' jobs. Only workers: the
        // storage-wide processes (delayed and recurring schedulers, expiration, counters, PostgreSQL's renewal of fetched
        // jobs' invisibility, which tracks every job fetched through the one storage) run once, in the server above; a
        // second set only contended for the same locks (wake-ups at idle, docs/performance.md).
        services.AddHangfireServer(server =>
        {
            server.ServerName = $"{Environment.MachineName}:{ForgeStatusDelivery.Queue}";
            server.Queues = [ForgeStatusDelivery.Queue];
            server.WorkerCount = 2;
            server.IsLightweightServer = true;
            QuietAtIdle(server);
        });

        // Start-up recovery first, then the embedded agent.
        services.AddHostedService<ServerStartup>();
        services.AddHostedService<DeliveryPickup>();
        services.AddHostedService<AgentHousekeeping>();
        if (settings.Agent.Capacity > 0) services.AddHostedService<EmbeddedAgent>();
    }

    /// <summary>
    /// A Hangfire server's own wake-ups, fewer than Hangfire's defaults: its heartbeat every minute instead of every 30 s
    /// (a server is timed out after 5 minutes without one), and the check whether a running job that takes a cancellation
    /// token was deleted every minute instead of every 5 s (only a schedule sync takes one, and it runs for moments): each
    /// opened a connection to the storage on an idle server (docs/performance.md).
    /// </summary>
    private static void QuietAtIdle(BackgroundJobServerOptions server)
    {
        server.HeartbeatInterval = TimeSpan.FromMinutes(1);
        server.CancellationCheckInterval = TimeSpan.FromMinutes(1);
    }

    public static void UsePipeliner(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseUnknownCharsetGuard();
        var metrics = app.Services.GetRequiredService<ServerMetrics>();
        app.UseHttpMetrics(options => options.SetMetricFactory(Metrics.WithCustomRegistry(metrics.Registry)));
        app.UseAgentTrafficMeter(metrics);
        app.UsePipelinerAuth();

        app.MapOpenApi();
        app.MapGet("/healthz", () => TypedResults.Ok(new { status = "ok" })).WithTags("Health");
        app.MapMetrics("/metrics", metrics.Registry);
        app.MapProjects();
        app.MapRuns();
        app.MapJobTrend();
        app.MapLogs();
        app.MapLogSearch();
        app.MapUsage();
        app.MapRetention();
        app.MapWebhooks();
        app.MapAudit();
        app.MapTokens();
        app.MapUsers();
        app.MapSignIn();
        app.MapSecrets();
        app.MapForgeStatuses();
        app.MapBadges();
        app.MapEnvironments();
        app.MapReports();
        app.MapAgents();
        app.MapDashboard();
        app.MapHangfireDashboard("/hangfire", new DashboardOptions { Authorization = [new AdminDashboardFilter()] });

        var recurring = app.Services.GetRequiredService<IRecurringJobManager>();
        // Expired leases are swept by AgentHousekeeping every few seconds; the minutely Hangfire job that also swept them
        // ran Hangfire's whole job path (state machine, serializer, hangfire.db writes) once a minute on an idle server.
        recurring.RemoveIfExists(LeaseSweeper.FormerRecurringJobId);
        recurring.AddOrUpdate<DeliveryRetention>(DeliveryRetention.RecurringJobId, retention => retention.RemoveOldAsync(), Cron.Hourly());
        // The commit-status resend and the upload sweep are on the schedule only while they have something to do
        // (ForgeStatusResendSchedule, UploadSweepSchedule; armed at start by ServerStartup when needed).
        recurring.AddOrUpdate<SessionJanitor>(SessionJanitor.RecurringJobId, janitor => janitor.RemoveExpiredAsync(), Cron.Hourly());
        recurring.AddOrUpdate<RetentionPass>(RetentionPass.RecurringJobId, pass => pass.ApplyScheduledAsync(),
            app.Services.GetRequiredService<IOptions<PipelinerOptions>>().Value.Retention.Schedule, new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });
        app.Lifetime.ApplicationStarted.Register(() => StartupBanner.Write(Console.Out, app.Urls, app.Services.GetRequiredService<DataLayout>().Root,
            app.Services.GetRequiredService<IExecutionBackend>().Name, app.Services.GetRequiredService<StartupReport>()));
    }
}
