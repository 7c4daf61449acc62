using System.Text.RegularExpressions;
using Pipeliner.Core.Model;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Environments;

public sealed record UpdateEnvironmentRequest(
    string? RequiredRole, List<string>? Requires, int? Approvals, List<string>? Branches, List<string>? Tags);

public sealed record EnvironmentRulesResponse(
    string RequiredRole, IReadOnlyList<string> Requires, int Approvals, IReadOnlyList<string> Branches, IReadOnlyList<string> Tags,
    bool Configured);

/// <param name="DeployedBy">The Pipeliner user who started the deployment; null when nobody did (an automatic job that passed the rules).</param>
/// <param name="Trigger">What started the run: a webhook delivery, "schedule", or "manual by NAME".</param>
public sealed record DeploymentResponse(
    long Id, string Environment, long RunId, int RunNumber, string Job, int Attempt, string Commit, string Version,
    IReadOnlyList<DeployedArtifact> Artifacts, string? DeployedBy, string? ApprovedBy, DateTimeOffset DeployedAt, string Trigger);

/// <param name="Current">The newest deployment: what the environment runs now.</param>
/// <param name="History">Its deployments, newest first (at most <see cref="EnvironmentContracts.HistoryLimit"/>).</param>
public sealed record EnvironmentResponse(string Name, EnvironmentRulesResponse Rules, DeploymentResponse? Current, IReadOnlyList<DeploymentResponse> History);

public sealed record PromoteRequest(string? Environment);

/// <param name="Status"><c>started</c>, or <c>waiting_for_approval</c> until <paramref name="RequiredApprovals"/> people approved.</param>
public sealed record PromotionResponse(long RunId, string Environment, IReadOnlyList<string> Jobs, string Status, int RequiredApprovals);

public sealed record RedeployRequest(long? DeploymentId);

/// <summary>
/// Whether the asking user may promote the run to an environment now: the jobs a promotion would start and, when a rule
/// refuses, the rule and why (as the promotion would say it).
/// </summary>
public sealed record PromotionOptionResponse(
    string Environment, IReadOnlyList<string> Jobs, bool Allowed, string? Rule, string? Reason, int Approvals);

public static partial class EnvironmentContracts
{
    public const int HistoryLimit = 50;
    public const int MaxApprovals = 10;
    public const string Started = "started";
    public const string WaitingForApproval = "waiting_for_approval";

    /// <summary>The roles that may be required: viewers never deploy.</summary>
    public static readonly Role[] DeployingRoles = [Role.Developer, Role.ReleaseManager, Role.Admin];

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$", RegexOptions.CultureInvariant)]
    private static partial Regex NameShape();

    public const string NameRule = "an environment name: letters, digits, '-', '_' and '.', starting with a letter or digit (at most 100)";

    public static bool IsName(string? name) => name is not null && NameShape().IsMatch(name);

    /// <summary>Every problem of the request, by field; empty when it is valid.</summary>
    public static Dictionary<string, string[]> Validate(string environment, UpdateEnvironmentRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (!IsName(environment)) errors["environment"] = [NameRule];
        if (request.RequiredRole is { } role && (!Roles.TryParse(role, out var parsed) || !DeployingRoles.Contains(parsed)))
            errors["requiredRole"] = [$"unknown role '{role}': one of {string.Join(", ", DeployingRoles.Select(r => r.ToName()))}"];
        if (request.Approvals is < 0 or > MaxApprovals) errors["approvals"] = [$"a whole number from 0 to {MaxApprovals}"];

        var requires = request.Requires ?? [];
        var badRequires = requires.Where(r => !IsName(r)).Select(r => $"'{r}' is not {NameRule}")
            .Concat(requires.Where(r => r == environment).Select(_ => $"{environment} cannot require itself"))
            .Concat(requires.GroupBy(r => r).Where(g => g.Count() > 1).Select(g => $"'{g.Key}' is listed twice")).ToArray();
        if (badRequires.Length > 0) errors["requires"] = badRequires;
        foreach (var (field, globs) in new[] { ("branches", request.Branches), ("tags", request.Tags) })
        {
            var bad = (globs ?? []).Select(glob => string.IsNullOrEmpty(glob) ? "an empty glob" : GlobError(glob)).OfType<string>().ToArray();
            if (bad.Length > 0) errors[field] = bad;
        }

        return errors;
    }

    private static string? GlobError(string glob) => GlobPattern.TryParse(glob, out var error) is null ? error : null;

    public static EnvironmentRulesResponse ToResponse(this EnvironmentRules rules) =>
        new(rules.RequiredRole.ToName(), rules.Requires, rules.Approvals, rules.Branches, rules.Tags, rules.Configured);

    public static DeploymentResponse ToResponse(this DeploymentEntity deployment, int runNumber, string trigger) => new(
        deployment.Id, deployment.Environment, deployment.RunId, runNumber, deployment.JobId, deployment.Attempt, deployment.CommitSha,
        deployment.Version, Deployments.ArtifactsOf(deployment), deployment.DeployedBy, deployment.ApprovedBy, deployment.DeployedAt, trigger);

    /// <summary>The rules in words for the audit log.</summary>
    public static string Describe(EnvironmentEntity entity) =>
        $"requiredRole {entity.RequiredRole}; requires [{string.Join(", ", entity.Requires)}]; approvals {entity.Approvals}; " +
        $"branches [{string.Join(", ", entity.Branches)}]; tags [{string.Join(", ", entity.Tags)}]";
}
