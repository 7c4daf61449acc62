using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Engine.Logging;
using Pipeliner.Server.Data;
using Pipeliner.Server.Dashboard;
using Pipeliner.Server.Logs.Store;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Logs.Search;

/// <summary>A line of some run's log that holds the searched text, as the log viewer shows it.</summary>
public sealed record RunLogMatch(long RunId, string Project, int Number, string? Branch, string Job, int Attempt, long Line, string Text);

/// <summary>The answer of <c>GET /api/search/logs</c>.</summary>
public sealed record RunLogSearchResponse(IReadOnlyList<RunLogMatch> Matches, bool Truncated, long TookMs);

/// <summary>
/// Search across the logs of every run: the index names the pieces of logs that may hold the text, newest run
/// first; each piece is read from the log store and its lines checked as the viewer shows them (same ANSI and
/// carriage-return rules), the project's current secrets masked, so the index decides only where to look.
/// Stops at the limit (one more match tells that there are more), and at <c>Logs:SearchTimeout</c>.
/// </summary>
public sealed class LogSearch(ILogSearchIndex index, ILogStore store, PipelinerDbContext db, LogMasking masks, IOptions<PipelinerOptions> options)
{
    public const int MinQueryLength = 3;
    public const int MaxQueryLength = 200;
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public async Task<RunLogSearchResponse> SearchAsync(LogSearchFilter filter, string? status, int limit, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var deadline = options.Value.Logs.SearchTimeout;
        var matches = new List<RunLogMatch>();
        var truncated = false;
        var statuses = new Dictionary<long, (string Status, int ProjectId)?>();
        var maskers = new Dictionary<int, SecretMasker>();
        var reader = new ChunkReader(store);
        try
        {
            await foreach (var candidate in index.CandidatesAsync(filter, cancellationToken))
            {
                if (clock.Elapsed > deadline)
                {
                    truncated = true;
                    break;
                }

                var log = candidate.Log;
                if (!statuses.TryGetValue(log.Log.RunId, out var run))
                {
                    // A run whose logs expired is no answer, even while the index still names its pieces.
                    var found = await db.Runs.AsNoTracking().Where(r => r.Id == log.Log.RunId && r.LogsExpiredAt == null)
                        .Select(r => new { r.Status, r.ProjectId }).FirstOrDefaultAsync(cancellationToken);
                    statuses[log.Log.RunId] = run = found is null ? null : (found.Status, found.ProjectId);
                }

                if (run is not { } known || (status is not null && known.Status != status)) continue;
                if (!maskers.TryGetValue(known.ProjectId, out var masker))
                    maskers[known.ProjectId] = masker = await masks.ForProjectAsync(known.ProjectId, cancellationToken);

                foreach (var (line, text) in await reader.MatchingLinesAsync(candidate, filter.Query, masker, cancellationToken))
                {
                    if (matches.Count == limit)
                    {
                        truncated = true;
                        break;
                    }

                    matches.Add(new RunLogMatch(log.Log.RunId, log.Project, log.Number, log.Branch, log.Log.JobId, log.Log.Attempt, line, text));
                }

                if (truncated) break;
            }
        }
        finally
        {
            reader.Dispose();
        }

        return new RunLogSearchResponse(matches, truncated, clock.ElapsedMilliseconds);
    }

    /// <summary>Reads pieces of logs, keeping the last log open (consecutive pieces are mostly of the same log).</summary>
    private sealed class ChunkReader(ILogStore store) : IDisposable
    {
        private LogRef? _open;
        private Stream? _stream;
        private byte[] _bytes = new byte[64 * 1024];
        private char[] _chars = new char[64 * 1024];

        public async Task<List<(long Line, string Text)>> MatchingLinesAsync(
            CandidateChunk chunk, string query, SecretMasker masker, CancellationToken cancellationToken)
        {
            if (_open != chunk.Log.Log)
            {
                _stream?.Dispose();
                _stream = store.OpenRead(chunk.Log.Log);
                _open = chunk.Log.Log;
            }

            if (_bytes.Length < chunk.Length)
            {
                _bytes = new byte[chunk.Length];
                _chars = new char[chunk.Length];
            }

            _stream!.Seek(chunk.Offset, SeekOrigin.Begin);
            var read = await _stream.ReadAtLeastAsync(_bytes.AsMemory(0, chunk.Length), chunk.Length, throwOnEndOfStream: false, cancellationToken);
            var found = new List<(long, string)>();
            var piece = _bytes.AsSpan(0, read);
            var line = chunk.FirstLine;
            while (!piece.IsEmpty)
            {
                var newline = piece.IndexOf((byte)'\n');
                var content = newline < 0 ? piece : piece[..newline];
                var shown = ShownLine.Of(content, _chars);
                if (shown.Contains(query, StringComparison.OrdinalIgnoreCase))
                {
                    var text = masker.Mask(shown.ToString());
                    if (text.Contains(query, StringComparison.OrdinalIgnoreCase))
                        found.Add((line, text.Length > LogSearcher.MaxTextLength ? text[..LogSearcher.MaxTextLength] : text));
                }

                if (newline < 0) break;
                piece = piece[(newline + 1)..];
                line++;
            }

            return found;
        }

        public void Dispose() => _stream?.Dispose();
    }
}
