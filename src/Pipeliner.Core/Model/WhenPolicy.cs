namespace Pipeliner.Core.Model;

/// <summary>When a job runs relative to the outcome of the jobs before it.</summary>
public enum WhenPolicy
{
    /// <summary>Every need succeeded (or failed with allow_failure).</summary>
    OnSuccess,
    /// <summary>Only when something upstream failed.</summary>
    OnFailure,
    /// <summary>Regardless of upstream outcomes, once its needs are finished.</summary>
    Always,
    /// <summary>Like on_success, then waits until a person starts it.</summary>
    Manual,
}

public static class WhenPolicyNames
{
    public static readonly string[] Names = ["on_success", "on_failure", "always", "manual"];

    public static string ToName(this WhenPolicy when) => Names[(int)when];

    public static bool TryParse(string name, out WhenPolicy when)
    {
        var index = Array.IndexOf(Names, name);
        when = index < 0 ? default : (WhenPolicy)index;
        return index >= 0;
    }
}
