using Pipeliner.Core.Runs;
using Pipeliner.Engine.Logging;

namespace Pipeliner.Engine.Execution;

/// <summary>Hears what happens in a run as it happens (the CLI prints it; the server streams it).</summary>
public interface IRunObserver
{
    void JobStarted(RunJob job, JobAttempt attempt);

    void LogLine(RunJob job, JobAttempt attempt, LogLine line);

    /// <summary>An attempt ended (the job may be queued again for a retry).</summary>
    void AttemptFinished(RunJob job, JobAttempt attempt);

    void JobSkipped(RunJob job);

    /// <summary>Called after every change of the run, for saving it.</summary>
    Task RunChangedAsync(Run run, CancellationToken cancellationToken);
}
