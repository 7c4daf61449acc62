using Microsoft.Extensions.Options;
using Pipeliner.Engine.Storage;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Webhooks;

/// <summary>
/// Webhook bodies received but not authenticated yet, across all requests: a little of each in memory while the memory
/// budget lasts, the rest in temporary files under the data directory while the spool budget lasts. Whoever sends
/// unsigned or wrongly signed bodies can never make the server hold more than the two budgets.
/// </summary>
public sealed class UnverifiedBodies(IOptions<PipelinerOptions> options, DataLayout layout, ILogger<UnverifiedBodies> logger)
{
    /// <summary>At most this much of one body is kept in memory (below the large object heap's threshold); the rest is spooled.</summary>
    public const int InMemoryPerBody = 64 * 1024;

    public ByteBudget Memory { get; } = new(options.Value.Webhooks.UnverifiedMemoryBytes);

    public ByteBudget Spool { get; } = new(options.Value.Webhooks.UnverifiedSpoolBytes);

    public string SpoolDirectory { get; } = Path.Combine(layout.Root, "spool", "webhooks");

    /// <summary>Removes the temporary files of a process that was killed while it received bodies.</summary>
    public void RemoveLeftovers()
    {
        if (!Directory.Exists(SpoolDirectory)) return;
        foreach (var file in Directory.EnumerateFiles(SpoolDirectory))
        {
            try
            {
                File.Delete(file);
            }
            catch (IOException e)
            {
                logger.LogWarning("Could not remove the leftover webhook body {File}: {Reason}", file, e.Message);
            }
        }
    }
}
