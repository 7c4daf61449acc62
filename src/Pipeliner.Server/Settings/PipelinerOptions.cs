using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeliner.Server.Settings;

/// <summary>The server's settings, section <c>Pipeliner</c> (appsettings, environment <c>Pipeliner__X</c>, command line <c>--Pipeliner:X</c>).</summary>
public sealed class PipelinerOptions
{
    public const string Section = "Pipeliner";

    [Description("Where the database, logs, artifacts, caches and repository mirrors live.")]
    [Required]
    public string DataDir { get; set; } = "./data";

    [Description("The first admin token, for automation; when empty a token is generated and printed on first start.")]
    public string? BootstrapToken { get; set; }

    public DatabaseOptions Database { get; set; } = new();

    public AgentOptions Agent { get; set; } = new();

    public AuthOptions Auth { get; set; } = new();

    public ForgeStatusOptions ForgeStatuses { get; set; } = new();

    public WebhookOptions Webhooks { get; set; } = new();

    public ProjectOptions Projects { get; set; } = new();

    public LogOptions Logs { get; set; } = new();

    public StorageOptions Storage { get; set; } = new();

    public LimitsOptions Limits { get; set; } = new();

    public RetentionOptions Retention { get; set; } = new();

    [Description("How often Hangfire's queue is polled for background jobs enqueued by another process (another replica); jobs this " +
                 "server enqueues (a webhook's processing, a retry or a recurring job come due) wake its workers at once. " +
                 "Default: 1 minute on SQLite (one process uses the queue), 5 seconds on PostgreSQL.")]
    public TimeSpan? QueuePollInterval { get; set; }

    /// <summary>The queue's poll when <see cref="QueuePollInterval"/> is not set, by whether other processes share the queue.</summary>
    public TimeSpan QueuePollIntervalOr(bool replicas) => QueuePollInterval ?? (replicas ? TimeSpan.FromSeconds(5) : TimeSpan.FromMinutes(1));

    [Description("How often Hangfire looks for background jobs that are due again (retries after their backoff, e.g. commit statuses).")]
    public TimeSpan RetryPollInterval { get; set; } = TimeSpan.FromSeconds(15);

    [Description("How long the server must be quiet (under 2 % of a core) before it gives back the memory its garbage collector kept " +
                 "(one compacting collection, after activity only; and once as soon as the server has started); 0 turns both off.")]
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ErrorMessage = "must be between 00:00:00 and 1.00:00:00")]
    public TimeSpan IdleMemoryTrim { get; set; } = TimeSpan.FromSeconds(10);

    [Description("The server also gives back the pages of the files it mapped (assemblies, native libraries) that it read while starting " +
                 "or working: taken out of the process with Linux's madvise(MADV_DONTNEED) where that cannot lose data (a page used again " +
                 "is mapped again from the page cache), and at the trim at start and the first idle window after work also paged out of the " +
                 "page cache (MADV_PAGEOUT, files the server's user may write). When: see FilePageOutGrowthMiB, after work, and at idle once " +
                 "2 MiB came back. false keeps them.")]
    public bool IdleMemoryTrimFilePages { get; set; } = true;

    [Description("With IdleMemoryTrimFilePages, the files' pages are also given back as soon as this many MiB of them came back since the " +
                 "last time (checked every second from the start on, working or not): a first run of code reads much of the assemblies once. " +
                 "0: only at the trims.")]
    [Range(0, 4096, ErrorMessage = "must be between 0 and 4096")]
    public int FilePageOutGrowthMiB { get; set; } = 8;

    [Description("Status badges (/badge/{project}.svg) answer without a token; false makes them need read access like the API.")]
    public bool PublicBadges { get; set; } = true;

    [Description("The address people use to reach the server, for links in commit statuses; defaults to the listening address.")]
    public string? PublicUrl { get; set; }
}

public sealed class AgentOptions
{
    [Description("Jobs the embedded agent runs at once; 0 disables the embedded agent.")]
    [Range(0, 256, ErrorMessage = "must be between 0 and 256")]
    public int Capacity { get; set; } = Environment.ProcessorCount;

    /// <summary>The labels when none are configured (configured ones replace these rather than add to them).</summary>
    public static readonly IReadOnlyList<string> DefaultLabels = ["linux", "docker"];

    [Description("Labels of the embedded agent (default linux, docker); a job runs on it when its runs-on labels are all among these.")]
    public List<string> Labels { get; set; } = [];

    /// <summary>How an operator picks the shell backend, as messages name it.</summary>
    public const string ShellBackendSetting = "--Pipeliner:Agent:Backend=shell (environment: Pipeliner__Agent__Backend=shell)";

    [Description("The embedded agent's execution backend: docker or shell.")]
    [AllowedValues("docker", "shell", ErrorMessage = "must be docker or shell")]
    public string Backend { get; set; } = "docker";

    [Description("How long an agent's claim on a job lasts without being extended.")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    [Description("After the server starts (one server, SQLite), remote agents' running attempts keep their lease at least this long, the lease if longer: their agents could not extend it while the server was down, and reconnect within it.")]
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ErrorMessage = "must be between 00:00:00 and 1.00:00:00")]
    public TimeSpan RestartGrace { get; set; } = TimeSpan.FromSeconds(30);

    [Description("How many nice steps (Linux) below the server's own the embedded agent's workers run (claiming jobs, starting and waiting for containers, storing their logs and ends): above zero they give way to the threads that answer requests while the cores are busy (a burst of webhooks while runs execute); zero (the default, until a quiet machine shows it helps) runs them on the thread pool like the rest. The lease's extensions stay on the pool.")]
    [Range(0, 19, ErrorMessage = "must be between 0 and 19")]
    public int BackgroundNice { get; set; }

    [Description("An agent not heard from for this long is offline: pending jobs no longer count on it.")]
    public TimeSpan OfflineAfter { get; set; } = TimeSpan.FromSeconds(45);

    [Description("The largest archive (artifact or cache path) an agent may upload for one attempt, in bytes.")]
    [Range(1, long.MaxValue, ErrorMessage = "must be positive")]
    public long MaxUploadBytes { get; set; } = 2L << 30;

    [Description("How often in a row a job is queued again after its attempt was lost with its server or agent (a restart, an expired lease) before it fails; such losses do not count against the job's retry.")]
    [Range(0, 100, ErrorMessage = "must be between 0 and 100")]
    public int MaxLostRequeues { get; set; } = 3;
}

public sealed class AuthOptions
{
    [Description("Allow reading (projects, runs, logs) without a token.")]
    public bool AnonymousRead { get; set; }

    [Description("The fewest characters a password may have (set by an admin or changed by its user).")]
    [Range(8, 128, ErrorMessage = "must be between 8 and 128")]
    public int PasswordMinLength { get; set; } = 12;

    public SessionLifetimeOptions Session { get; set; } = new();

    public SignInThrottleOptions SignInThrottle { get; set; } = new();

    public OidcOptions Oidc { get; set; } = new();
}

public sealed class ForgeStatusOptions
{
    [Description("A commit status the forge never accepted is sent again when its deliveries have been quiet this long (longer than the retries' longest backoff).")]
    public TimeSpan ResendAfter { get; set; } = TimeSpan.FromMinutes(15);

    [Description("Commit statuses older than this are no longer sent again.")]
    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromDays(1);

    [Description("How often the server looks for commit statuses to send again (a cron expression, UTC).")]
    public string ResendSchedule { get; set; } = "*/5 * * * *";
}

public sealed class ProjectOptions
{
    [Description("Whether admins may register a repository that is a path on the server (or a file:// URL): true, false, or unset " +
                 "(the default) to allow it only while the server is single-user — one user, no anonymous read. Paths inside the " +
                 "data directory and on special file systems (/proc, /sys, /dev) are refused whatever this says.")]
    public bool? AllowLocalRepositories { get; set; }
}
