using Pipeliner.Core.Model;

namespace Pipeliner.Core.Planning;

/// <summary>The variables every job gets, whatever the pipeline says.</summary>
public static class PredefinedVariables
{
    public const int Count = 11;

    public static Dictionary<string, string> For(Job job, TriggerContext context)
    {
        var variables = new Dictionary<string, string>(Count, StringComparer.Ordinal);
        SetIn(variables, job, context);
        return variables;
    }

    /// <summary>Sets the predefined variables in <paramref name="variables"/>, replacing any of the same name.</summary>
    public static void SetIn(Dictionary<string, string> variables, Job job, TriggerContext context)
    {
        variables["CI"] = "true";
        variables["PIPELINER"] = "true";
        variables["PIPELINER_PROJECT"] = context.Project;
        variables["PIPELINER_RUN_ID"] = context.RunId;
        variables["PIPELINER_JOB"] = job.Id;
        variables["PIPELINER_JOB_NAME"] = job.Name;
        variables["PIPELINER_STAGE"] = job.Stage;
        variables["PIPELINER_EVENT"] = context.Event.ToName();
        variables["PIPELINER_BRANCH"] = context.Branch ?? "";
        variables["PIPELINER_TAG"] = context.Tag ?? "";
        variables["PIPELINER_COMMIT_SHA"] = context.CommitSha;
    }
}
