using System.Text.Json;
using Pipeliner.Core.Runs;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Scheduling;

namespace Pipeliner.Server.Environments;

/// <summary>One artifact a deployment job received from its needs or produced: which job made it, its path and digest.</summary>
public sealed record DeployedArtifact(string Job, string Path, string Sha256);

/// <summary>Turns a job with an environment that just succeeded into its deployment record.</summary>
public static class Deployments
{
    /// <summary>
    /// The record of <paramref name="job"/>'s success, from the run's state inside a coordinator change (the jobs'
    /// artifacts are loaded with the run), so the deployment is saved together with the job's status.
    /// </summary>
    public static DeploymentEntity Record(RunChange change, RunJob job, string environment, IEnumerable<ArtifactEntity> produced)
    {
        var run = change.Entity;
        var received = change.Run.Upstream(job)
            .SelectMany(upstream => change.JobEntity(upstream.Id).Artifacts.Select(a => new DeployedArtifact(upstream.Id, a.Path, a.Sha256)));
        var artifacts = received.Concat(produced.Select(a => new DeployedArtifact(job.Id, a.Path, a.Sha256))).ToList();
        var approvers = job.Approvals.Select(a => a.Approver).ToList();
        return new DeploymentEntity
        {
            ProjectId = run.ProjectId,
            Environment = environment,
            JobId = job.Id,
            Attempt = job.LastAttempt?.Number ?? 0,
            CommitSha = run.CommitSha,
            Version = VersionOf(run),
            ArtifactsJson = JsonSerializer.Serialize(artifacts, JsonSerializerOptions.Web),
            // A person who started it, or nobody (an automatic job that passed every rule): never a name from a webhook.
            DeployedBy = job.RequestedBy ?? job.ApprovedBy,
            ApprovedBy = approvers.Count == 0 ? null : string.Join(", ", approvers),
            DeployedAt = change.Now,
        };
    }

    public static string VersionOf(RunEntity run) => run.Tag ?? $"#{run.Number}";

    public static IReadOnlyList<DeployedArtifact> ArtifactsOf(DeploymentEntity deployment) =>
        JsonSerializer.Deserialize<List<DeployedArtifact>>(deployment.ArtifactsJson, JsonSerializerOptions.Web) ?? [];
}
