namespace Pipeliner.Server.Tests.Reliability;

/// <summary>
/// The process a crash scenario kills. Every scenario of <see cref="KillMatrixTests"/> runs once per target: a remote
/// agent process becomes a second target (killed and started again by <see cref="CrashHarness.KillAndRestartAsync"/>)
/// when agents run outside the server.
/// </summary>
public enum KillTarget
{
    /// <summary>The server process, with its embedded agent.</summary>
    Server,
}
