namespace Pipeliner.Core.Runs;

/// <summary>
/// Rules from outside the pipeline (the server's environment rules) that a job passes at the moment it would become
/// ready to run: nothing of it is handed out before it is admitted.
/// </summary>
public delegate Admission JobAdmission(RunJob job);

public enum AdmissionVerdict
{
    Admit,

    /// <summary>A rule refuses the job: it is skipped, saying which rule.</summary>
    Refuse,

    /// <summary>The job waits for a person to start it, like a manual job.</summary>
    Hold,
}

public sealed record Admission(AdmissionVerdict Verdict, string? Reason)
{
    public static Admission Admit { get; } = new(AdmissionVerdict.Admit, null);

    public static Admission Refuse(string reason) => new(AdmissionVerdict.Refuse, reason);

    public static Admission Hold(string reason) => new(AdmissionVerdict.Hold, reason);
}
