using System.Buffers;
using System.Globalization;
using System.Text;
using Pipeliner.Engine.Logging;
using Pipeliner.Engine.Storage;
using Pipeliner.Server.Scheduling;

namespace Pipeliner.Server.Logs;

/// <summary>
/// Logs as files under the data directory (the layout the log endpoints read): each line masked again and appended;
/// how much of the agent's log has arrived is kept beside it (<c>{attempt}.log.received</c>), written after the lines,
/// so a batch cut short by a crash is sent again rather than lost.
/// </summary>
public sealed class FileLogStore(DataLayout layout, LogLocks locks) : ILogStore
{
    public async Task<long> LengthAsync(AttemptLogRef log, CancellationToken cancellationToken)
    {
        using var _ = await locks.AcquireAsync(log.AttemptId, cancellationToken);
        return await ReceivedAsync(Received(log), cancellationToken);
    }

    public async Task<LogAppendResult> AppendAsync(
        AttemptLogRef log, long offset, ReadOnlyMemory<byte> bytes, SecretMasker masker, CancellationToken cancellationToken)
    {
        using var _ = await locks.AcquireAsync(log.AttemptId, cancellationToken);
        var receivedPath = Received(log);
        var received = await ReceivedAsync(receivedPath, cancellationToken);
        if (offset != received || bytes.Length == 0) return new LogAppendResult(offset == received, received, []);
        if (bytes.Span[^1] != (byte)'\n') throw new ArgumentException("a log batch must end at the end of a line");

        var lines = new List<LogLine>();
        var output = new ArrayBufferWriter<byte>(bytes.Length + 64);
        var masked = new ArrayBufferWriter<byte>();
        var rest = bytes.Span;
        while (rest.Length > 0)
        {
            var end = rest.IndexOf((byte)'\n');
            masked.ResetWrittenCount();
            masker.MaskInto(rest[..end], masked);
            output.Write(masked.WrittenSpan);
            output.Write("\n"u8);
            lines.Add(Parse(masked.WrittenSpan));
            rest = rest[(end + 1)..];
        }

        var path = Path.Combine(layout.Root, log.RelativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await using (var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
        {
            await file.WriteAsync(output.WrittenMemory, cancellationToken);
        }

        var length = received + bytes.Length;
        await File.WriteAllTextAsync(receivedPath, length.ToString(CultureInfo.InvariantCulture), CancellationToken.None);
        return new LogAppendResult(true, length, lines);
    }

    public async Task<bool> CompleteAsync(AttemptLogRef log, long length, CancellationToken cancellationToken) =>
        await LengthAsync(log, cancellationToken) == length;

    /// <summary>A stored line is <c>{timestamp} {text}</c>; one without a timestamp is kept whole.</summary>
    private static LogLine Parse(ReadOnlySpan<byte> line)
    {
        var text = Encoding.UTF8.GetString(line);
        return text.Length > JobLogWriter.TimestampLength &&
               DateTimeOffset.TryParse(text.AsSpan(0, JobLogWriter.TimestampLength - 1), CultureInfo.InvariantCulture,
                   DateTimeStyles.AssumeUniversal, out var timestamp)
            ? new LogLine(timestamp, text[JobLogWriter.TimestampLength..])
            : new LogLine(DateTimeOffset.UnixEpoch, text);
    }

    private string Received(AttemptLogRef log) => Path.Combine(layout.Root, log.RelativePath + ".received");

    private static async Task<long> ReceivedAsync(string path, CancellationToken cancellationToken) =>
        File.Exists(path) && long.TryParse(await File.ReadAllTextAsync(path, cancellationToken), NumberStyles.None, CultureInfo.InvariantCulture, out var length)
            ? length
            : 0;
}

/// <summary>One lock per attempt's log: appends of one attempt happen one at a time.</summary>
public sealed class LogLocks : KeyedLocks;
