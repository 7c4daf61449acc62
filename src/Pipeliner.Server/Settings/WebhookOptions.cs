using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeliner.Server.Settings;

/// <summary>Section <c>Pipeliner:Webhooks</c>: receiving deliveries, processing them, and how long they are kept.</summary>
public sealed class WebhookOptions
{
    [Description("Deliveries kept per project (the newest); older ones are removed every hour.")]
    [Range(1, 1_000_000, ErrorMessage = "must be between 1 and 1000000")]
    public int KeepDeliveries { get; set; } = 1000;

    [Description("How long a delivery is kept; older ones are removed every hour.")]
    [Range(typeof(TimeSpan), "00:01:00", "3650.00:00:00", ErrorMessage = "must be between 00:01:00 and 3650.00:00:00")]
    public TimeSpan KeepDeliveriesFor { get; set; } = TimeSpan.FromDays(30);

    [Description("Bytes of not yet authenticated webhook bodies held in memory, across all requests at once; the rest wait in temporary files.")]
    [Range(0, long.MaxValue, ErrorMessage = "must not be negative")]
    public long UnverifiedMemoryBytes { get; set; } = 16L * 1024 * 1024;

    [Description("Bytes of not yet authenticated webhook bodies in temporary files, across all requests at once; beyond it deliveries are answered 503.")]
    [Range(0, long.MaxValue, ErrorMessage = "must not be negative")]
    public long UnverifiedSpoolBytes { get; set; } = 1024L * 1024 * 1024;

    [Description("How long a worker's claim on a delivery lasts without being extended; a delivery whose worker died is taken up again after it.")]
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "must be between 00:00:01 and 01:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The waits between attempts when none are configured.</summary>
    public static readonly IReadOnlyList<TimeSpan> DefaultRetryDelays =
        [TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30)];

    [Description("The waits between attempts at a delivery whose repository cannot be read (default 10 s, 30 s, 2 min, 10 min, 30 min); after the last it has failed.")]
    public TimeSpan[]? RetryDelays { get; set; }

    public IReadOnlyList<TimeSpan> EffectiveRetryDelays => RetryDelays is { Length: > 0 } configured ? configured : DefaultRetryDelays;

    [Description("Deliveries this server processes at once (each reads the pipeline file at the pushed commit, fetching the repository first when the mirror does not hold it, and stores the run); more wait in memory, their rows kept in the database.")]
    [Range(1, 64, ErrorMessage = "must be between 1 and 64")]
    public int Workers { get; set; } = 2;

    [Description("How many nice steps (Linux) below the server's own the threads run that move accepted deliveries into rows and create their runs: above zero they give way to the threads that answer requests while the cores are busy (the intake of a burst of webhooks first); zero runs them on the thread pool like the rest.")]
    [Range(0, 19, ErrorMessage = "must be between 0 and 19")]
    public int BackgroundNice { get; set; } = 10;

    [Description("SQLite only. Above zero (the default, 50 ms): an accepted delivery is written to the system before its 202 (a crash or kill of the server loses none) and flushed to disk behind the answers, at most once per interval, those of the interval together; a power loss or a crash of the machine within the interval plus one flush can lose deliveries already answered. Zero: every accepted delivery is flushed to disk before its 202 (each answer waits for the disk's flush).")]
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10", ErrorMessage = "must be between 00:00:00 and 00:00:10")]
    public TimeSpan JournalFlushEvery { get; set; } = TimeSpan.FromMilliseconds(50);

    [Description("How often the server looks for deliveries to process: due retries, and those whose worker died.")]
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00", ErrorMessage = "must be between 00:00:00.010 and 00:10:00")]
    public TimeSpan PickupInterval { get; set; } = TimeSpan.FromSeconds(10);
}
