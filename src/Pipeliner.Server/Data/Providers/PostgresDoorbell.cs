using System.Globalization;
using Npgsql;
using Pipeliner.Server.Runs;

namespace Pipeliner.Server.Data.Providers;

/// <summary>
/// The run-event doorbell on PostgreSQL: <c>NOTIFY</c> with a run id as the payload, and one connection per replica that
/// <c>LISTEN</c>s (kept open, opened again after a failure; after reconnecting it rings for every run, since rings sent
/// meanwhile are lost). Notifications carry ids only; subscribers read the events from the database.
/// </summary>
public sealed class PostgresDoorbell(string connectionString, ILogger<PostgresDoorbell> logger) : BackgroundService, IRunEventDoorbell
{
    public const string EventsChannel = "pipeliner_run_events";
    public const string WatchesChannel = "pipeliner_run_watches";
    private static readonly TimeSpan Reconnect = TimeSpan.FromSeconds(1);

    private readonly NpgsqlDataSource _source = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString)
    {
        // The listening connection waits for notifications; a keep-alive notices a dead server or network.
        KeepAlive = 15,
    }.ConnectionString);

    public event Action<long?>? Rang;

    public event Action<long>? Watched;

    public Task RingAsync(IReadOnlyCollection<long> runIds, CancellationToken cancellationToken) =>
        NotifyAsync(EventsChannel, runIds, cancellationToken);

    public Task AnnounceWatchAsync(long runId, CancellationToken cancellationToken) =>
        NotifyAsync(WatchesChannel, [runId], cancellationToken);

    private async Task NotifyAsync(string channel, IReadOnlyCollection<long> runIds, CancellationToken cancellationToken)
    {
        if (runIds.Count == 0) return;
        await using var batch = _source.CreateBatch();
        foreach (var runId in runIds)
        {
            var command = new NpgsqlBatchCommand("SELECT pg_notify(@channel, @payload)");
            command.Parameters.AddWithValue("channel", channel);
            command.Parameters.AddWithValue("payload", runId.ToString(CultureInfo.InvariantCulture));
            batch.BatchCommands.Add(command);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var first = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _source.OpenConnectionAsync(stoppingToken);
                connection.Notification += OnNotification;
                await using (var listen = new NpgsqlCommand($"LISTEN {EventsChannel}; LISTEN {WatchesChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                if (!first) Rang?.Invoke(null);
                first = false;
                while (!stoppingToken.IsCancellationRequested) await connection.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning("The run-event doorbell lost PostgreSQL ({Message}); listening again in {Delay}", e.Message, Reconnect);
                first = false;
                try
                {
                    await Task.Delay(Reconnect, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (!long.TryParse(e.Payload, NumberStyles.None, CultureInfo.InvariantCulture, out var runId)) return;
        try
        {
            if (e.Channel == EventsChannel) Rang?.Invoke(runId);
            else if (e.Channel == WatchesChannel) Watched?.Invoke(runId);
        }
        catch (Exception failure)
        {
            logger.LogWarning(failure, "A run-event subscriber failed on a ring");
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _source.Dispose();
    }
}
