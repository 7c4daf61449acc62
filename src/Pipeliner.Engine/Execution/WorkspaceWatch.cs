using System.Diagnostics;
using Pipeliner.Core.Model;

namespace Pipeliner.Engine.Execution;

/// <summary>
/// Keeps a job's workspace within its limit (<c>resources.workspace</c>): measures the folder on the host every few
/// seconds while the job runs (the Docker and shell backends keep the workspace there) and, when it holds more than
/// the limit, says so once and stops the job through <see cref="Token"/>. Files are counted by their length (a sparse
/// file counts in full); symbolic links are not followed. A large workspace is measured less often: the wait between
/// two looks is at least ten times what the last look took, so measuring never takes more than a tenth of the time.
/// </summary>
public sealed class WorkspaceWatch : IAsyncDisposable
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(2);

    private static readonly EnumerationOptions Everything = new()
    {
        RecurseSubdirectories = true,
        IgnoreInaccessible = true,
        AttributesToSkip = FileAttributes.ReparsePoint,
        ReturnSpecialDirectories = false,
    };

    private readonly string _path;
    private readonly ByteSize _limit;
    private readonly TimeSpan _interval;
    private readonly Action<string> _say;
    private readonly CancellationTokenSource _exceeded = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watching;

    private WorkspaceWatch(string path, ByteSize limit, TimeSpan interval, Action<string> say)
    {
        _path = path;
        _limit = limit;
        _interval = interval;
        _say = say;
        _watching = Task.Run(WatchAsync);
    }

    /// <summary>Canceled once the workspace held more than its limit.</summary>
    public CancellationToken Token => _exceeded.Token;

    /// <summary>Why the job was stopped, once it was.</summary>
    public string? Reason { get; private set; }

    /// <summary>Starts watching <paramref name="path"/>; null when there is no limit.</summary>
    /// <param name="say">Hears the line the job's log gets when the limit is crossed.</param>
    public static WorkspaceWatch? Start(string path, ByteSize? limit, Action<string> say, TimeSpan? interval = null) =>
        limit is { } bytes ? new WorkspaceWatch(path, bytes, interval ?? DefaultInterval, say) : null;

    /// <summary>The bytes of every file under <paramref name="path"/> (0 when it does not exist); links are not followed.</summary>
    public static long Measure(string path)
    {
        if (!Directory.Exists(path)) return 0;
        long total = 0;
        try
        {
            foreach (var file in new DirectoryInfo(path).EnumerateFiles("*", Everything)) total += LengthOf(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The folder went away while it was read (the job ended): what was counted stands.
        }

        return total;
    }

    private static long LengthOf(FileInfo file)
    {
        try
        {
            return file.Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0; // removed between being listed and measured
        }
    }

    private async Task WatchAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var clock = Stopwatch.StartNew();
                var size = Measure(_path);
                if (size > _limit.Bytes)
                {
                    Reason = $"the workspace holds {new ByteSize(size)}, more than its limit of {_limit} (resources.workspace)";
                    _say($"pipeliner: {Reason}: the job is stopped");
                    await _exceeded.CancelAsync();
                    return;
                }

                var wait = TimeSpan.FromTicks(Math.Max(_interval.Ticks, clock.Elapsed.Ticks * 10));
                await Task.Delay(wait, _stop.Token);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _watching;
        _stop.Dispose();
        _exceeded.Dispose();
    }
}
