using Pipeliner.Engine.Logging;

namespace Pipeliner.Server.Logs;

/// <summary>Names one attempt's log: the attempt's id, its run, job and number, and the log's path relative to the data directory.</summary>
public sealed record AttemptLogRef(long AttemptId, long RunId, string JobId, int Attempt, string RelativePath);

/// <summary>The answer to an append: the bytes of the agent's log the store holds, and the lines it stored now.</summary>
public sealed record LogAppendResult(bool Accepted, long Length, IReadOnlyList<LogLine> Lines);

/// <summary>
/// Where the server keeps job logs that agents send. The one place remote logs are persisted: appends by the agent's
/// byte offset (a resend after a network error is answered with the length the store already has), masked again here,
/// and completed with the agent's final length. Reading stays with the log endpoints (files under the data directory).
/// </summary>
public interface ILogStore
{
    /// <summary>How many bytes of the agent's log the store holds.</summary>
    Task<long> LengthAsync(AttemptLogRef log, CancellationToken cancellationToken);

    /// <summary>
    /// Appends <paramref name="bytes"/> (whole lines, each ending with a line feed) when <paramref name="offset"/> is the
    /// store's length; otherwise stores nothing and answers its length.
    /// </summary>
    Task<LogAppendResult> AppendAsync(AttemptLogRef log, long offset, ReadOnlyMemory<byte> bytes, SecretMasker masker, CancellationToken cancellationToken);

    /// <summary>Whether the store holds exactly <paramref name="length"/> bytes of the agent's log (then it is complete).</summary>
    Task<bool> CompleteAsync(AttemptLogRef log, long length, CancellationToken cancellationToken);
}
