using Hangfire;
using Hangfire.Common;
using Hangfire.Logging;
using Hangfire.Server;
using Hangfire.States;
using Hangfire.Storage;

namespace Pipeliner.Server.Scheduling;

/// <summary>
/// Any Hangfire storage, whose workers also stop waiting for work when <see cref="QueueDoorbell"/> rings, which its write
/// transactions do once they have committed a job to a queue (<see cref="DoorbellTransaction"/>): the queue can then be
/// polled rarely (<c>QueuePollInterval</c>) and still start a job enqueued here at once. Everything else is the inner
/// storage's.
/// </summary>
/// <remarks>
/// A job enqueued under a distributed lock of its connection (a retry or a scheduled job come due, moved to its queue
/// under the job's state lock and the scheduler's) rings only once the connection has released its locks: a worker woken
/// earlier takes the job and then waits for the job's state lock, and SQLite's lock misses a release that happens just
/// before its waiter sleeps, which then sleeps a tenth of Hangfire's 15-minute job-lock timeout (90 s) with a job held.
/// </remarks>
public sealed class DoorbellStorage : JobStorage
{
    private readonly JobStorage _inner;
    private readonly QueueDoorbell _doorbell;

    public DoorbellStorage(JobStorage inner, QueueDoorbell doorbell)
    {
        _inner = inner;
        _doorbell = doorbell;
        JobExpirationTimeout = inner.JobExpirationTimeout;
    }

    public override bool LinearizableReads => _inner.LinearizableReads;

    public override IMonitoringApi GetMonitoringApi() => _inner.GetMonitoringApi();

    public override IStorageConnection GetConnection() => new DoorbellConnection((JobStorageConnection)_inner.GetConnection(), _doorbell);

    public override IStorageConnection GetReadOnlyConnection() => _inner.GetReadOnlyConnection();

    [Obsolete("Hangfire's own hook, still called for storages that use it (SQLite's expiration manager).")]
#pragma warning disable CS0618 // Hangfire still calls the obsolete component hook of the storage it is given.
    public override IEnumerable<IServerComponent> GetComponents() => _inner.GetComponents();
#pragma warning restore CS0618

    public override IEnumerable<IBackgroundProcess> GetServerRequiredProcesses() => _inner.GetServerRequiredProcesses();

    public override IEnumerable<IBackgroundProcess> GetStorageWideProcesses() => _inner.GetStorageWideProcesses();

    public override IEnumerable<IStateHandler> GetStateHandlers() => _inner.GetStateHandlers();

    public override void WriteOptionsToLog(ILog logger) => _inner.WriteOptionsToLog(logger);

    public override bool HasFeature(string featureId) => _inner.HasFeature(featureId);

    public override string ToString() => _inner.ToString() ?? nameof(DoorbellStorage);

    /// <summary>
    /// The inner connection; fetching the next job also returns to look again when the doorbell rings, and its write
    /// transactions ring it once this connection holds no distributed lock any more.
    /// </summary>
    private sealed class DoorbellConnection(JobStorageConnection inner, QueueDoorbell doorbell) : JobStorageConnection
    {
        private readonly Lock _gate = new();
        private int _locksHeld;
        private bool _ringWhenUnlocked;

        public override IFetchedJob FetchNextJob(string[] queues, CancellationToken cancellationToken)
        {
            while (true)
            {
                using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, doorbell.Token);
                try
                {
                    return inner.FetchNextJob(queues, wake.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // Rung: a job was enqueued here; look again at once.
                }
            }
        }

        public override void Dispose()
        {
            inner.Dispose();
            base.Dispose();
        }

        public override IWriteOnlyTransaction CreateWriteTransaction()
        {
            var transaction = inner.CreateWriteTransaction();
            return transaction is JobStorageTransaction storageTransaction ? new DoorbellTransaction(storageTransaction, RingWhenUnlocked) : transaction;
        }

        public override IDisposable AcquireDistributedLock(string resource, TimeSpan timeout)
        {
            var held = inner.AcquireDistributedLock(resource, timeout);
            lock (_gate) _locksHeld++;
            return new HeldLock(held, this);
        }

        /// <summary>Rings now, or when the last distributed lock this connection holds is released.</summary>
        private void RingWhenUnlocked()
        {
            lock (_gate)
            {
                if (_locksHeld > 0)
                {
                    _ringWhenUnlocked = true;
                    return;
                }
            }

            doorbell.Ring();
        }

        private void Released()
        {
            lock (_gate)
            {
                if (--_locksHeld > 0 || !_ringWhenUnlocked) return;
                _ringWhenUnlocked = false;
            }

            doorbell.Ring();
        }

        private sealed class HeldLock(IDisposable inner, DoorbellConnection connection) : IDisposable
        {
            private int _released;

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _released, 1) != 0) return;
                try
                {
                    inner.Dispose();
                }
                finally
                {
                    connection.Released();
                }
            }
        }

        public override string CreateExpiredJob(Job job, IDictionary<string, string> parameters, DateTime createdAt, TimeSpan expireIn) =>
            inner.CreateExpiredJob(job, parameters, createdAt, expireIn);
        public override void SetJobParameter(string id, string name, string value) => inner.SetJobParameter(id, name, value);
        public override string GetJobParameter(string id, string name) => inner.GetJobParameter(id, name);
        public override JobData GetJobData(string jobId) => inner.GetJobData(jobId);
        public override StateData GetStateData(string jobId) => inner.GetStateData(jobId);
        public override void AnnounceServer(string serverId, ServerContext context) => inner.AnnounceServer(serverId, context);
        public override void RemoveServer(string serverId) => inner.RemoveServer(serverId);
        public override void Heartbeat(string serverId) => inner.Heartbeat(serverId);
        public override int RemoveTimedOutServers(TimeSpan timeOut) => inner.RemoveTimedOutServers(timeOut);
        public override HashSet<string> GetAllItemsFromSet(string key) => inner.GetAllItemsFromSet(key);
        public override string GetFirstByLowestScoreFromSet(string key, double fromScore, double toScore) =>
            inner.GetFirstByLowestScoreFromSet(key, fromScore, toScore);
        public override List<string> GetFirstByLowestScoreFromSet(string key, double fromScore, double toScore, int count) =>
            inner.GetFirstByLowestScoreFromSet(key, fromScore, toScore, count);
        public override long GetSetCount(string key) => inner.GetSetCount(key);
        public override long GetSetCount(IEnumerable<string> keys, int limit) => inner.GetSetCount(keys, limit);
        public override bool GetSetContains(string key, string value) => inner.GetSetContains(key, value);
        public override List<string> GetRangeFromSet(string key, int startingFrom, int endingAt) => inner.GetRangeFromSet(key, startingFrom, endingAt);
        public override TimeSpan GetSetTtl(string key) => inner.GetSetTtl(key);
        public override void SetRangeInHash(string key, IEnumerable<KeyValuePair<string, string>> keyValuePairs) => inner.SetRangeInHash(key, keyValuePairs);
        public override Dictionary<string, string> GetAllEntriesFromHash(string key) => inner.GetAllEntriesFromHash(key);
        public override string GetValueFromHash(string key, string name) => inner.GetValueFromHash(key, name);
        public override long GetHashCount(string key) => inner.GetHashCount(key);
        public override TimeSpan GetHashTtl(string key) => inner.GetHashTtl(key);
        public override long GetListCount(string key) => inner.GetListCount(key);
        public override List<string> GetAllItemsFromList(string key) => inner.GetAllItemsFromList(key);
        public override List<string> GetRangeFromList(string key, int startingFrom, int endingAt) => inner.GetRangeFromList(key, startingFrom, endingAt);
        public override TimeSpan GetListTtl(string key) => inner.GetListTtl(key);
        public override long GetCounter(string key) => inner.GetCounter(key);
        public override DateTime GetUtcDateTime() => inner.GetUtcDateTime();
    }
}
