namespace Pipeliner.Server.Tests.Reliability;

/// <summary>
/// The process a crash scenario kills (kill -9) and starts again. Every scenario of <see cref="KillMatrixTests"/> that
/// applies runs once per target (<see cref="CrashHarness.KillAndRestartAsync"/>).
/// </summary>
public enum KillTarget
{
    /// <summary>The server process, with its embedded agent.</summary>
    Server,

    /// <summary>
    /// A remote agent (<c>pipeliner agent</c>, the server's embedded agent off), started again with the same command: it
    /// reconnects with the credential in its work directory, the server gives up the attempts it held, and it removes
    /// the containers and workspaces its killed self left.
    /// </summary>
    Agent,
}
