using System.Collections.Concurrent;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Execution;
using Pipeliner.Engine.Logging;
using Pipeliner.Engine.Storage;

namespace Pipeliner.Engine.Tests.Support;

/// <summary>Remembers what a run told its observer, and saves the run record like the CLI does.</summary>
internal sealed class RecordingObserver(RunRecordStore? records = null, string project = "project") : IRunObserver
{
    private readonly ConcurrentQueue<(string Job, int Attempt, LogLine Line)> _lines = new();
    private readonly ConcurrentQueue<string> _events = new();

    public IReadOnlyList<string> Events => _events.ToList();

    public IReadOnlyList<string> LinesOf(string jobId, int attempt = 1) =>
        _lines.Where(l => l.Job == jobId && l.Attempt == attempt).Select(l => l.Line.Text).ToList();

    public IReadOnlyList<string> AllLines => _lines.Select(l => l.Line.Text).ToList();

    public void JobStarted(RunJob job, JobAttempt attempt) => _events.Enqueue($"started {job.Id} #{attempt.Number}");

    public void LogLine(RunJob job, JobAttempt attempt, LogLine line) => _lines.Enqueue((job.Id, attempt.Number, line));

    public void AttemptFinished(RunJob job, JobAttempt attempt) => _events.Enqueue($"finished {job.Id} #{attempt.Number} {attempt.Status.ToName()}");

    public void JobSkipped(RunJob job) => _events.Enqueue($"skipped {job.Id}");

    public Task RunChangedAsync(Run run, CancellationToken cancellationToken) =>
        records?.SaveAsync(run, project, cancellationToken) ?? Task.CompletedTask;
}
