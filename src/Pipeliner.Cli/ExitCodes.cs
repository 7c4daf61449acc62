namespace Pipeliner.Cli;

/// <summary>Exit codes shared by every command.</summary>
internal static class ExitCodes
{
    /// <summary>Valid, planned, or the pipeline succeeded.</summary>
    public const int Success = 0;

    /// <summary>The pipeline is invalid, or it ran and failed.</summary>
    public const int Failure = 1;

    /// <summary>The command could not do its work: bad arguments, an unreadable file, an infrastructure fault.</summary>
    public const int Error = 2;
}
