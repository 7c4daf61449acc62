using Pipeliner.Core;
using Pipeliner.Core.Model;
using Pipeliner.Core.Planning;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Runs;

/// <summary>What asks for a run: a webhook event, a schedule or a person, in the server's own terms.</summary>
public sealed record TriggerRequest
{
    public required EventKind Event { get; init; }
    public string? Branch { get; init; }
    public string? Tag { get; init; }

    /// <summary>The commit; null means the head of <see cref="Branch"/> (or of the tag).</summary>
    public string? CommitSha { get; init; }

    /// <summary>A ref to fetch when the commit is on no branch or tag (a pull request head, e.g. refs/pull/7/head).</summary>
    public string? CommitRef { get; init; }

    public IReadOnlyList<string>? ChangedPaths { get; init; }
    public string? CommitMessage { get; init; }
    public string? Author { get; init; }
    public int? PullRequestNumber { get; init; }
    public string? SourceBranch { get; init; }

    /// <summary>A pull request from a fork, or one whose origin the forge did not tell: its jobs get no secrets unless the project allows it.</summary>
    public bool FromFork { get; init; }

    /// <summary>A webhook delivery id, "schedule" or "manual by NAME".</summary>
    public required string Trigger { get; init; }

    /// <summary>Extra variables for every job (manual runs).</summary>
    public IReadOnlyDictionary<string, string> Variables { get; init; } = new Dictionary<string, string>();
}

/// <summary>What came of a trigger.</summary>
public abstract record RunCreation
{
    public sealed record Created(long RunId) : RunCreation;

    /// <summary>The pipeline file is invalid: a run in state invalid carries the errors.</summary>
    public sealed record Invalid(long RunId) : RunCreation;

    public sealed record NoPipeline(string Message) : RunCreation;

    public sealed record NotTriggered(string Reason) : RunCreation;
}

/// <summary>What a trigger comes to before anything is stored (<see cref="RunFactory.PrepareAsync"/>).</summary>
public abstract record RunPreparation
{
    /// <summary>No run: <see cref="RunCreation.NoPipeline"/> or <see cref="RunCreation.NotTriggered"/>.</summary>
    public sealed record NoRun(RunCreation Creation) : RunPreparation;

    /// <summary>A pipeline read at the commit, valid or not, to be stored as a run.</summary>
    public sealed record Ready(ProjectEntity Project, TriggerRequest Trigger, TriggerContext Context, PipelineLoadResult Loaded) : RunPreparation;
}

/// <summary>
/// A run planned by <see cref="RunFactory.Plan"/>, before any transaction: the plan written to JSON with a placeholder for
/// the run's id and its job rows (<see cref="Plan"/> and <see cref="Jobs"/>), or the errors of an invalid run
/// (<see cref="Errors"/>, already in the JSON a run stores them as). Storing it only inserts.
/// </summary>
/// <param name="CancelsPrevious">The pipeline cancels older runs of its branch.</param>
public sealed record PlannedRun(
    RunPreparation.Ready Ready, PlanTemplate? Plan, IReadOnlyList<JobEntity> Jobs, string? ErrorsJson, bool CancelsPrevious);

/// <summary>A run stored by <see cref="RunFactory.StoreAsync"/>, and what is left to do once the transaction is committed.</summary>
/// <param name="CancelsOlderThan">The new run, when the pipeline cancels older runs of its branch.</param>
/// <param name="Statuses">Commit statuses to send (an invalid run's).</param>
/// <param name="Handover">
/// The stored run for its first advance, with the run's lock held (SQLite only; null with replicas or for an invalid run):
/// released by <see cref="RunFactory.StartAsync"/>, or by whoever does not commit the store (<see cref="Abandon"/>).
/// </param>
/// <param name="CommitSha">The run's commit (null for an invalid run): remote agents get its tree as a tar, made ahead (<see cref="Agents.SourceArchives"/>).</param>
/// <param name="Row">The run's row as inserted (null for an invalid run): what the log index records of it is noted once committed.</param>
public sealed record StoredRun(
    RunCreation Creation, ProjectEntity Project, RunEntity? CancelsOlderThan, IReadOnlyList<ForgeStatusUpdateEntity> Statuses,
    Scheduling.StoredRunHandover? Handover = null, string? CommitSha = null, RunEntity? Row = null)
{
    /// <summary>The store is not committed (rolled back, or its commit failed): the run's lock is released.</summary>
    public void Abandon() => Handover?.Dispose();
}
