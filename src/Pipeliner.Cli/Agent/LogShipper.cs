namespace Pipeliner.Cli.Agent;

/// <summary>
/// Sends an attempt's log file (already masked by the job's log writer) to the server by byte offset: whole lines,
/// batched every second or every MiB. A network error is retried from where the server says it has got to, so nothing
/// is lost or stored twice; the file stays on the agent until the server has acknowledged its whole length.
/// </summary>
internal sealed class LogShipper(AgentClient client, long attemptId, string logPath, RetryBackoff retry, Action<string> warn)
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private const int BatchBytes = Pipeliner.Agent.Contracts.AgentRoutes.MaxLogBatchBytes;
    private long _sent;

    /// <summary>
    /// Ships what the log holds every second until <paramref name="finished"/> is cancelled, then the rest if it is more
    /// than the end carries (<see cref="TailAsync"/>): a short job's last lines go with its end, one call instead of two.
    /// </summary>
    public async Task RunAsync(CancellationToken finished, CancellationToken abandon)
    {
        while (!finished.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Interval, finished);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            await ShipAvailableAsync(abandon, untilEnd: false);
        }

        if (Unsent() > MaxTailBytes) await ShipAvailableAsync(abandon, untilEnd: true);
    }

    private const int MaxTailBytes = Pipeliner.Agent.Contracts.AgentRoutes.MaxDoneLogTailBytes;

    /// <summary>
    /// The whole lines of the log's first <paramref name="length"/> bytes the server has not acknowledged, with their
    /// offset, for the end to carry; null when it has them all. More than the end carries is sent by offset first.
    /// </summary>
    public async Task<(long Offset, byte[] Lines)?> TailAsync(long length, CancellationToken cancellationToken)
    {
        if (length - _sent > MaxTailBytes) await ShipAvailableAsync(cancellationToken, untilEnd: true);
        if (length <= _sent || !File.Exists(logPath)) return null;
        await using var file = new FileStream(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        file.Position = _sent;
        var buffer = new byte[length - _sent];
        await file.ReadExactlyAsync(buffer, cancellationToken);
        var end = Array.LastIndexOf(buffer, (byte)'\n');
        return end < 0 ? null : (_sent, buffer[..(end + 1)]);
    }

    /// <summary>Sends every whole line the log holds now (before uploads that would keep the end, and its lines, waiting).</summary>
    public Task ShipRestAsync(CancellationToken cancellationToken) => ShipAvailableAsync(cancellationToken, untilEnd: true);

    private long Unsent() => File.Exists(logPath) ? new FileInfo(logPath).Length - _sent : 0;

    /// <summary>Everything the file holds has been acknowledged.</summary>
    public long Sent => _sent;

    /// <summary>Starts again from where the server has got to (after it said it lacks part of the log).</summary>
    public async Task ResyncAsync(CancellationToken cancellationToken)
    {
        _sent = await client.LogLengthAsync(attemptId, cancellationToken);
        await ShipAvailableAsync(cancellationToken, untilEnd: true);
    }

    private async Task ShipAvailableAsync(CancellationToken cancellationToken, bool untilEnd)
    {
        var delay = retry.First(TimeSpan.FromMilliseconds(100));
        while (!cancellationToken.IsCancellationRequested)
        {
            var batch = ReadBatch();
            if (batch.Length == 0) return;
            try
            {
                _sent = await client.AppendLogAsync(attemptId, _sent, batch, cancellationToken);
                delay = retry.First(TimeSpan.FromMilliseconds(100));
                if (!untilEnd && batch.Length < BatchBytes) return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                warn($"log of attempt {attemptId}: {e.Message}; sending again in {delay.TotalSeconds:0.#} s");
                await Task.Delay(delay, cancellationToken);
                delay = retry.Next(delay);
            }
        }
    }

    /// <summary>Whole lines from <see cref="_sent"/>, at most a batch.</summary>
    private byte[] ReadBatch()
    {
        if (!File.Exists(logPath)) return [];
        using var file = new FileStream(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (file.Length <= _sent) return [];
        file.Position = _sent;
        var buffer = new byte[(int)Math.Min(BatchBytes, file.Length - _sent)];
        file.ReadExactly(buffer);
        var end = Array.LastIndexOf(buffer, (byte)'\n');
        return end < 0 ? [] : buffer[..(end + 1)];
    }
}
