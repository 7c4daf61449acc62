using Pipeliner.Core.Model;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Environments;

/// <summary>Why a deployment was refused: the rule, in the words it is configured with, and what it found.</summary>
public sealed record Refusal(int Status, string Rule, string Reason)
{
    public string Detail => $"rule '{Rule}' refused: {Reason}";

    public static Refusal Forbidden(string rule, string reason) => new(StatusCodes.Status403Forbidden, rule, reason);

    public static Refusal Conflict(string rule, string reason) => new(StatusCodes.Status409Conflict, rule, reason);
}

/// <summary>The facts about a run the rules look at.</summary>
/// <param name="Branch">The pushed branch; for a pull request its target branch, which its code is not on yet.</param>
/// <param name="PullRequest">The run is a pull request's: branch rules never match it.</param>
public sealed record RunFacts(long Id, int Number, string? Branch, string? Tag, bool PullRequest, IReadOnlySet<string> DeployedEnvironments)
{
    /// <param name="eventName">The run's event as stored (<c>push</c>, <c>pull_request</c>…).</param>
    public static RunFacts Of(long id, int number, string? branch, string? tag, string eventName, IEnumerable<string> deployedEnvironments) => new(
        id, number, branch, tag, eventName == EventKind.PullRequest.ToName(), deployedEnvironments.ToHashSet(StringComparer.Ordinal));
}

/// <summary>
/// A project's rules for one environment, with the defaults for an environment nobody configured: release managers
/// deploy, from any branch or tag, without approvals or previous environments.
/// </summary>
public sealed record EnvironmentRules(
    string Environment, Role RequiredRole, IReadOnlyList<string> Requires, int Approvals, IReadOnlyList<string> Branches,
    IReadOnlyList<string> Tags, bool Configured)
{
    public const string ManualRule = "when: manual";

    public static EnvironmentRules Default(string environment) => new(environment, Role.ReleaseManager, [], 0, [], [], false);

    public static EnvironmentRules From(EnvironmentEntity entity) => new(entity.Name,
        Roles.TryParse(entity.RequiredRole, out var role) ? role : Role.ReleaseManager,
        entity.Requires, entity.Approvals, entity.Branches, entity.Tags, true);

    public string ApprovalsRule => $"approvals: {Approvals}";

    /// <summary>The rules every start of a deployment passes, in order: role, branch or tag, previous environments.</summary>
    public Refusal? Check(string actor, Role role, RunFacts run) =>
        CheckRole(actor, role) ?? CheckRef(run) ?? CheckRequires(run);

    public Refusal? CheckRole(string actor, Role role) => role >= RequiredRole
        ? null
        : Refusal.Forbidden($"requiredRole: {RequiredRole.ToName()}",
            $"{actor} is a {role.ToName()}; deploying to {Environment} needs {RequiredRole.ToName()} or above");

    public Refusal? CheckRef(RunFacts run)
    {
        if (Branches.Count == 0 && Tags.Count == 0) return null;
        // A pull request's code is not on its target branch until it is merged.
        if (!run.PullRequest && run.Branch is { } branch && Branches.Any(glob => Matches(glob, branch))) return null;
        if (run.Tag is { } tag && Tags.Any(glob => Matches(glob, tag))) return null;
        var rule = string.Join("; ", new[] { ("branches", Branches), ("tags", Tags) }
            .Where(r => r.Item2.Count > 0).Select(r => $"{r.Item1}: {string.Join(", ", r.Item2)}"));
        var what = run.PullRequest ? $"a pull request into '{run.Branch}'"
            : run.Tag is { } t ? $"tag '{t}'" : run.Branch is { } b ? $"branch '{b}'" : "no branch or tag";
        return Refusal.Conflict(rule, $"run {run.Number} is for {what}, which {Environment} does not accept");
    }

    public Refusal? CheckRequires(RunFacts run)
    {
        var missing = Requires.FirstOrDefault(required => !run.DeployedEnvironments.Contains(required));
        return missing is null
            ? null
            : Refusal.Conflict($"requires: {string.Join(", ", Requires)}", $"{missing} has no successful deployment of run {run.Number}");
    }

    private static bool Matches(string glob, string value) => GlobPattern.TryParse(glob, out _)?.IsMatch(value) == true;
}
