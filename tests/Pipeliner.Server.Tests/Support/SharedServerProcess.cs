namespace Pipeliner.Server.Tests.Support;

/// <summary>
/// One server process (no embedded agent, the default settings) for the tests of a class that neither stop, kill nor
/// reconfigure it (xUnit class fixture): started once instead of once per test, since a start costs seconds of CPU
/// (docs/testing.md). The tests sharing it use names of their own (projects, agents), so none depends on what another
/// left or did.
/// </summary>
public sealed class SharedServerProcess : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("pipeliner-shared-server-");
    private ServerProcess? _server;

    public ServerProcess Server => _server ?? throw new InvalidOperationException("the shared server has not started");

    public async Task InitializeAsync() => _server = await ServerProcess.StartAsync(_directory.Combine("data"), agentCapacity: 0);

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        _directory.Dispose();
    }
}
