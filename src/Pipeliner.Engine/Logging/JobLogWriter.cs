using System.Buffers;
using System.Text;

namespace Pipeliner.Engine.Logging;

/// <summary>
/// Writes one attempt's log: an append-only UTF-8 file, one line per output line, each prefixed by its UTC
/// timestamp (<c>2026-11-26T21:59:45.123Z text</c>), secrets masked. Flushed after every chunk so that
/// readers can follow the file while the job runs. Optionally tells an observer about every line; without a file, the
/// observer is where the lines go (the server's embedded agent hands them to its log store, as remote agents send theirs).
/// </summary>
public sealed class JobLogWriter : IAsyncDisposable
{
    public const int TimestampLength = LogLineFormat.TimestampLength;

    private readonly FileStream? _file;
    private readonly LogLineAssembler _assembler;

    /// <summary>Pipeliner's own lines get their own assembler: the output may stop in the middle of a line when one is written.</summary>
    private readonly LogLineAssembler _ownLines;
    private readonly TimeProvider _time;
    private readonly Action<LogLine>? _observer;
    private readonly Lock _gate = new();
    private readonly byte[] _timestamp = new byte[TimestampLength + 1];
    private long _timestampMillis = -1;

    private readonly long? _maxOutputBytes;
    private readonly LineHandler _writeOutput;
    private long _outputBytes;
    private long _droppedLines;
    private long _droppedBytes;

    /// <param name="path">The log file; null: none, the lines only go to <paramref name="observer"/>.</param>
    /// <param name="maxOutputBytes">
    /// The most bytes of output stored, timestamps included (the job's <c>resources.log</c>); past it output is read and dropped, and the log
    /// says where it was cut and, at the end, how much was dropped. Pipeliner's own lines are always stored.
    /// </param>
    public JobLogWriter(string? path, SecretMasker masker, TimeProvider time, Action<LogLine>? observer = null, long? maxOutputBytes = null)
    {
        _maxOutputBytes = maxOutputBytes;
        _writeOutput = WriteOutputLine;
        if (path is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
        }

        _assembler = new LogLineAssembler(masker);
        _ownLines = new LogLineAssembler(masker);
        _time = time;
        _observer = observer;
    }

    public long Lines { get; private set; }

    private const int CopyBufferSize = 1 << 16;

    // The copies' read buffers, kept from one step to the next. Each copy runs on a thread of its own, and the shared pool
    // keeps what a thread gives back in that thread's slot, lost when the thread ends: every step's 64 KiB was a new array,
    // a burst's largest garbage. A pool of its own keeps as many as usually run at once; more are made and dropped.
    private static readonly ArrayPool<byte> CopyBuffers = ArrayPool<byte>.Create(CopyBufferSize, maxArraysPerBucket: 8);

    /// <summary>
    /// Copies a step's output into the log until the stream ends, on a thread of its own with blocking reads: a busy
    /// step's output arrives in tens of thousands of small reads, and waking a pool thread for each costs more than
    /// storing what it read. Cancellation is noticed between reads; the stream ends when its step is destroyed.
    /// </summary>
    public Task CopyFromAsync(Stream output, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => CopyFrom(output, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void CopyFrom(Stream output, CancellationToken cancellationToken)
    {
        var buffer = CopyBuffers.Rent(CopyBufferSize);
        int read;
        try
        {
            while ((read = output.Read(buffer, 0, buffer.Length)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                lock (_gate)
                {
                    _assembler.Append(buffer.AsSpan(0, read), _writeOutput);
                    _file?.Flush();
                }
            }
        }
        finally
        {
            // Also when the copy is stopped: lines held back to see whether a secret continues are stored.
            lock (_gate)
            {
                _assembler.Flush(_writeOutput);
                if (_droppedLines > 0)
                {
                    WriteOwnLocked($"pipeliner: {_droppedLines} more lines ({_droppedBytes} bytes) of output were not stored: the log's limit is {Size(_maxOutputBytes!.Value)}");
                    _droppedLines = _droppedBytes = 0;
                }

                _file?.Flush();
            }

            CopyBuffers.Return(buffer);
        }
    }

    /// <summary>A line from Pipeliner itself (pulling an image, a retry, why a job failed), masked like any other.</summary>
    public void WriteLine(string text)
    {
        lock (_gate)
        {
            WriteOwnLocked(text);
            _file?.Flush();
        }
    }

    private void WriteOwnLocked(string text)
    {
        foreach (var line in text.Split('\n'))
        {
            _ownLines.Append(Encoding.UTF8.GetBytes(line + "\n"), WriteLine);
        }

        _ownLines.Flush(WriteLine);
    }

    /// <summary>A line of the job's output: stored while the output stays within its limit.</summary>
    private void WriteOutputLine(ReadOnlySpan<byte> line)
    {
        if (_maxOutputBytes is { } max)
        {
            // What the line takes in the file, its timestamp included: the limit bounds the log's size on disk.
            var stored = TimestampLength + 1 + line.Length + 1;
            if (_droppedLines > 0 || _outputBytes + stored > max)
            {
                if (_droppedLines == 0)
                    WriteOwnLocked($"pipeliner: the log is cut here: the job's output reached its limit of {Size(max)} (resources.log); the job goes on, its further output is not stored");
                _droppedLines++;
                _droppedBytes += line.Length + 1;
                return;
            }

            _outputBytes += stored;
        }

        WriteLine(line);
    }

    private static string Size(long bytes) => new Pipeliner.Core.Model.ByteSize(bytes).ToString();

    /// <summary>
    /// Adds a line from Pipeliner to the end of a log its writer left without closing it (the process holding it died):
    /// a line cut off by that death is ended first, so the new line stands on its own.
    /// </summary>
    public static async Task AppendToAbandonedAsync(string path, string text, TimeProvider time)
    {
        if (File.Exists(path))
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            if (file.Length > 0)
            {
                file.Seek(-1, SeekOrigin.End);
                if (file.ReadByte() != '\n') file.WriteByte((byte)'\n');
            }
        }

        await using var log = new JobLogWriter(path, SecretMasker.None, time);
        log.WriteLine(text);
    }

    public async ValueTask DisposeAsync()
    {
        if (_file is null) return;
        await _file.FlushAsync();
        await _file.DisposeAsync();
    }

    private void WriteLine(ReadOnlySpan<byte> line)
    {
        var now = _time.GetUtcNow();
        if (_file is not null)
        {
            _file.Write(Timestamp(now));
            _file.Write(line);
            _file.WriteByte((byte)'\n');
        }

        Lines++;
        _observer?.Invoke(new LogLine(now, Encoding.UTF8.GetString(line)));
    }

    /// <summary>The timestamp prefix, formatted once per millisecond: busy logs write many lines per millisecond.</summary>
    private ReadOnlySpan<byte> Timestamp(DateTimeOffset now)
    {
        var millis = now.ToUnixTimeMilliseconds();
        if (millis == _timestampMillis) return _timestamp;
        _timestampMillis = millis;
        LogLineFormat.WriteTimestamp(now, _timestamp);
        return _timestamp;
    }
}
