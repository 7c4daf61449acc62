using Pipeliner.Core.Runs;
using Pipeliner.Engine.Execution;
using Pipeliner.Engine.Logging;
using Pipeliner.Engine.Storage;

namespace Pipeliner.Cli.Running;

/// <summary>Prints a run live: each log line prefixed by its job id (coloured on a terminal), and job starts/ends.</summary>
internal sealed class ConsoleRunObserver(CliConsole console, RunRecordStore records, string project) : IRunObserver, IDisposable
{
    private static readonly string[] Colours = ["\e[36m", "\e[35m", "\e[34m", "\e[33m", "\e[32m", "\e[96m", "\e[95m", "\e[94m"];
    private const string Reset = "\e[0m";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, string> _prefixes = new(StringComparer.Ordinal);
    private readonly Timer _flusher = new(_ => FlushQuietly(console.Out), null, 200, 200);

    // The job's own log says when it starts and how it ends; only what the log cannot say is added here.
    public void JobStarted(RunJob job, JobAttempt attempt)
    {
    }

    public void LogLine(RunJob job, JobAttempt attempt, LogLine line) => Print(job, line.Text, system: false);

    public void AttemptFinished(RunJob job, JobAttempt attempt)
    {
        if (job.Status == JobStatus.Queued)
            Print(job, $"retrying: attempt {attempt.Number + 1} of {job.Planned.Spec.Retry + 1}", system: true);
    }

    public void JobSkipped(RunJob job) => Print(job, $"skipped: {job.Reason}", system: true);

    public Task RunChangedAsync(Run run, CancellationToken cancellationToken) => records.SaveAsync(run, project, cancellationToken);

    public void Dispose()
    {
        _flusher.Dispose();
        lock (_gate) console.Out.Flush();
    }

    private void Print(RunJob job, string text, bool system)
    {
        lock (_gate)
        {
            if (!_prefixes.TryGetValue(job.Id, out var prefix))
            {
                var colour = Colours[_prefixes.Count % Colours.Length];
                prefix = console.IsTerminal ? $"{colour}[{job.Id}]{Reset} " : $"[{job.Id}] ";
                _prefixes[job.Id] = prefix;
            }

            console.Out.Write(prefix);
            if (system && console.IsTerminal) console.Out.WriteLine($"\e[1m{text}{Reset}");
            else console.Out.WriteLine(system ? $"== {text}" : text);
        }
    }

    private static void FlushQuietly(TextWriter writer)
    {
        try
        {
            writer.Flush();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The console went away; nothing useful to do.
        }
    }
}
