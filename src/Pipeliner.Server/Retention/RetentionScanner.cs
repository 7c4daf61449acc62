using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Core.Model;
using Pipeliner.Core.Runs;
using Pipeliner.Server.Artifacts;
using Pipeliner.Server.Data;
using Pipeliner.Server.Logs.Store;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Retention;

/// <summary>A run that loses a part: its facts, the attempts' logs, and per part why (null: that part stays) and its bytes.</summary>
public sealed record PlannedRun(
    long RunId, string Project, int Number, string? Branch, DateTimeOffset? FinishedAt, IReadOnlyList<LogRef> Logs,
    string? LogsReason, long LogBytes, string? ArtifactsReason, long ArtifactBytes);

/// <summary>What a pass removes now: runs' parts and caches, each with its reason and size.</summary>
public sealed record RetentionPlan(IReadOnlyList<PlannedRun> Runs, IReadOnlyList<CacheExpiry> Caches);

/// <summary>
/// Reads what retention needs from the database and the stores and asks <see cref="RetentionPlanner"/> what goes, for
/// every project (or one): each project's effective policy (its own, else <c>Pipeliner:Retention</c>), the runs it
/// never removes — unfinished, pinned, with a deployment still current in an environment, the latest finished run of
/// the default branch — and the sizes the size caps need.
/// </summary>
public sealed class RetentionScanner(PipelinerDbContext db, ILogStore logs, IArtifactStore artifacts, ICacheStore caches, IOptions<PipelinerOptions> options)
{
    private static readonly string[] Finished = [.. Enum.GetValues<RunStatus>().Where(s => s.IsFinished()).Select(s => s.ToName())];
    private static readonly string PullRequest = EventKind.PullRequest.ToName();

    public async Task<RetentionPlan> PlanAsync(string? project, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var server = RetentionPolicy.From(options.Value.Retention);
        var projects = await db.Projects.AsNoTracking().Where(p => project == null || p.Name == project)
            .OrderBy(p => p.Name).Select(p => new { p.Id, p.Name, p.DefaultBranch, p.RetentionJson }).ToListAsync(cancellationToken);
        var ids = projects.Select(p => p.Id).ToList();
        var runs = await db.Runs.AsNoTracking().Where(r => ids.Contains(r.ProjectId))
            .Select(r => new RunRow(r.Id, r.ProjectId, r.Number, r.Status, r.Event, r.Branch, r.Tag, r.PullRequestNumber, r.FromFork,
                r.CreatedAt, r.FinishedAt, r.PinnedAt != null, r.LogsExpiredAt != null, r.ArtifactsExpiredAt != null))
            .ToListAsync(cancellationToken);
        var byProject = runs.ToLookup(r => r.ProjectId);
        var deployed = await CurrentlyDeployedAsync(ids, cancellationToken);
        var attempts = (await db.Attempts.AsNoTracking().Where(a => ids.Contains(a.Job!.Run!.ProjectId) && a.Job.Run.LogsExpiredAt == null)
                .Select(a => new { a.Job!.RunId, a.Job.JobId, a.Number, a.LogPath }).ToListAsync(cancellationToken))
            .ToLookup(a => a.RunId, a => new LogRef(a.RunId, a.JobId, a.Number, a.LogPath));

        var planned = new List<PlannedRun>();
        var goneCaches = new List<CacheExpiry>();
        foreach (var entity in projects)
        {
            var policy = ProjectRetention.Effective(entity.RetentionJson, server);
            var own = byProject[entity.Id].ToList();
            var latestDefault = own.Where(r => r.Branch == entity.DefaultBranch && r.Tag == null && !IsPullRequest(r) && Finished.Contains(r.Status))
                .OrderByDescending(r => r.Number).Select(r => (long?)r.Id).FirstOrDefault();
            bool Removable(RunRow r) => Finished.Contains(r.Status) && !r.Pinned && !deployed.Contains(r.Id) && r.Id != latestDefault;

            long LogBytes(long runId) => attempts[runId].Sum(logs.StoredBytes);
            var logSizes = new Dictionary<long, long>();
            var artifactSizes = new Dictionary<long, long>();
            foreach (var r in own.Where(r => policy.Artifacts.MaxSize is not null && !r.ArtifactsExpired))
                artifactSizes[r.Id] = await artifacts.SizeOfAsync(r.Id, cancellationToken);
            var goneLogs = RetentionPlanner.PlanRuns(
                own.Select(r => new RetainedRun(r.Id, r.Number, Group(r), r.FinishedAt ?? r.CreatedAt, Removable(r), r.LogsExpired,
                    policy.Logs.MaxSize is null || r.LogsExpired ? 0 : logSizes[r.Id] = LogBytes(r.Id))).ToList(),
                policy.Logs, RetentionPart.Logs, now).ToDictionary(e => e.RunId, e => e.Reason);
            var goneArtifacts = RetentionPlanner.PlanRuns(
                own.Select(r => new RetainedRun(r.Id, r.Number, Group(r), r.FinishedAt ?? r.CreatedAt, Removable(r), r.ArtifactsExpired,
                    policy.Artifacts.MaxSize is null || r.ArtifactsExpired ? 0 : artifactSizes[r.Id])).ToList(),
                policy.Artifacts, RetentionPart.Artifacts, now).ToDictionary(e => e.RunId, e => e.Reason);

            foreach (var run in own.Where(r => goneLogs.ContainsKey(r.Id) || goneArtifacts.ContainsKey(r.Id)).OrderBy(r => r.Number))
            {
                var logsReason = goneLogs.GetValueOrDefault(run.Id);
                var artifactsReason = goneArtifacts.GetValueOrDefault(run.Id);
                var artifactBytes = artifactsReason is null ? 0
                    : artifactSizes.TryGetValue(run.Id, out var a) ? a : await artifacts.SizeOfAsync(run.Id, cancellationToken);
                planned.Add(new PlannedRun(run.Id, entity.Name, run.Number, run.Branch, run.FinishedAt,
                    logsReason is null ? [] : [.. attempts[run.Id]],
                    logsReason, logsReason is null ? 0 : logSizes.TryGetValue(run.Id, out var l) ? l : LogBytes(run.Id),
                    artifactsReason, artifactBytes));
            }

            goneCaches.AddRange(RetentionPlanner.PlanCaches(await caches.ListAsync(entity.Name, cancellationToken), policy.Caches, now));
        }

        return new RetentionPlan(planned, goneCaches);
    }

    /// <summary>The runs whose deployment is the newest in its environment: what the environment runs now.</summary>
    private async Task<HashSet<long>> CurrentlyDeployedAsync(List<int> projects, CancellationToken cancellationToken)
    {
        var newest = await db.Deployments.AsNoTracking().Where(d => projects.Contains(d.ProjectId))
            .GroupBy(d => new { d.ProjectId, d.Environment }).Select(g => g.Max(d => d.Id)).ToListAsync(cancellationToken);
        var runs = await db.Deployments.AsNoTracking().Where(d => newest.Contains(d.Id)).Select(d => d.RunId).ToListAsync(cancellationToken);
        return [.. runs];
    }

    /// <summary>What "per branch" counts in: the branch, each tag, each pull request (as the run's cache scope).</summary>
    private static string Group(RunRow run) =>
        IsPullRequest(run) ? $"pull/{run.PullRequest?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? run.Branch}"
        : run.Tag is { } tag ? $"tag/{tag}"
        : run.Branch is { } branch ? $"branch/{branch}"
        : $"run/{run.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    private static bool IsPullRequest(RunRow run) => run.Event == PullRequest || run.FromFork;

    private sealed record RunRow(
        long Id, int ProjectId, int Number, string Status, string Event, string? Branch, string? Tag, int? PullRequest, bool FromFork,
        DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, bool Pinned, bool LogsExpired, bool ArtifactsExpired);
}
