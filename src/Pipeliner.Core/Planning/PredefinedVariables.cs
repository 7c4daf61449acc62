using Pipeliner.Core.Model;

namespace Pipeliner.Core.Planning;

/// <summary>The variables every job gets, whatever the pipeline says.</summary>
public static class PredefinedVariables
{
    public static Dictionary<string, string> For(Job job, TriggerContext context) => new(StringComparer.Ordinal)
    {
        ["CI"] = "true",
        ["PIPELINER"] = "true",
        ["PIPELINER_PROJECT"] = context.Project,
        ["PIPELINER_RUN_ID"] = context.RunId,
        ["PIPELINER_JOB"] = job.Id,
        ["PIPELINER_JOB_NAME"] = job.Name,
        ["PIPELINER_STAGE"] = job.Stage,
        ["PIPELINER_EVENT"] = context.Event.ToName(),
        ["PIPELINER_BRANCH"] = context.Branch ?? "",
        ["PIPELINER_TAG"] = context.Tag ?? "",
        ["PIPELINER_COMMIT_SHA"] = context.CommitSha,
    };
}
