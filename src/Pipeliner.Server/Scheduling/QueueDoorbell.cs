using Hangfire.Client;
using Hangfire.Common;
using Hangfire.Server;
using Pipeliner.Server.Hosting;

namespace Pipeliner.Server.Scheduling;

/// <summary>
/// Wakes this process's Hangfire workers when this process enqueues a background job, so that they need not poll the
/// queue often to start it at once: a worker waiting for work waits on <see cref="Token"/> as well as on its poll interval
/// (<see cref="DoorbellStorage"/>), and <see cref="JobCreated"/> rings it after every job a client here has stored.
/// Jobs enqueued elsewhere (another process, a retry coming due) are still found by the poll.
/// </summary>
public sealed class QueueDoorbell
{
    private CancellationTokenSource _bell = new();

    /// <summary>Canceled at the next ring.</summary>
    public CancellationToken Token => Volatile.Read(ref _bell).Token;

    public void Ring()
    {
        // Not disposed: a worker may still be reading the token of the source it just saw.
        Interlocked.Exchange(ref _bell, new CancellationTokenSource()).Cancel();
    }

    /// <summary>The client filter that rings the bell once a created job is stored (and so visible to workers).</summary>
    public JobCreatedFilter JobCreated => new(this);

    public sealed class JobCreatedFilter(QueueDoorbell doorbell) : JobFilterAttribute, IClientFilter
    {
        public void OnCreating(CreatingContext context)
        {
        }

        public void OnCreated(CreatedContext context)
        {
            if (context.BackgroundJob is not null && context.Exception is null) doorbell.Ring();
        }
    }
}

/// <summary>
/// This host's job filters: Hangfire's global ones, the doorbell's, and one that notes every job performed here as work
/// for the idle page-out (<see cref="ServerWork"/>), without adding to Hangfire's static list.
/// </summary>
public sealed class DoorbellFilterProvider(QueueDoorbell doorbell, ServerWork work) : IJobFilterProvider
{
    private readonly JobFilter _filter = new(doorbell.JobCreated, JobFilterScope.Global, null);
    private readonly JobFilter _performed = new(new JobPerformedFilter(work), JobFilterScope.Global, null);

    public IEnumerable<JobFilter> GetFilters(Job job) => JobFilterProviders.Providers.GetFilters(job).Append(_filter).Append(_performed);

    private sealed class JobPerformedFilter(ServerWork work) : JobFilterAttribute, IServerFilter
    {
        public void OnPerforming(PerformingContext context)
        {
        }

        public void OnPerformed(PerformedContext context) => work.Note();
    }
}
