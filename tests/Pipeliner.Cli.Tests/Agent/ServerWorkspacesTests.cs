using System.Formats.Tar;
using System.Net;
using System.Text;
using Pipeliner.Agent.Contracts;
using Pipeliner.Cli.Agent;
using Pipeliner.Core.Planning;
using Pipeliner.Engine.Execution;
using Pipeliner.Engine.Storage;

namespace Pipeliner.Cli.Tests.Agent;

/// <summary>
/// A job's checkout on a remote agent: the commit's tree from the assignment when the server sent it along (no call),
/// else downloaded with the attempt's credential; kept per commit either way.
/// </summary>
public sealed class ServerWorkspacesTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "pipeliner-workspaces-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly CountingHandler _server = new();

    public void Dispose()
    {
        _server.Dispose();
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task CheckOutAsync_ExtractsTheTreeTheAssignmentCarries_WithoutCallingTheServer()
    {
        var workspaces = Workspaces();
        var work = Assignment(sourceTar: Tar("carried"));
        using var hold = workspaces.Hold(work);
        var directory = Path.Combine(_root, "ws");

        await workspaces.CheckOutAsync(Engine(work), directory, CancellationToken.None);

        Assert.Equal("carried", await File.ReadAllTextAsync(Path.Combine(directory, "README")));
        Assert.Empty(_server.Requests);
        Assert.True(File.Exists(Path.Combine(_root, "sources", work.CommitSha + ".tar")), "kept for the commit's other jobs");
    }

    [Fact]
    public async Task CheckOutAsync_DownloadsTheTreeWithTheAttemptsCredential_WhenTheAssignmentCarriesNone()
    {
        _server.Answer = Tar("downloaded");
        var workspaces = Workspaces();
        var work = Assignment(sourceTar: null);
        using var hold = workspaces.Hold(work);
        var directory = Path.Combine(_root, "ws");

        await workspaces.CheckOutAsync(Engine(work), directory, CancellationToken.None);

        Assert.Equal("downloaded", await File.ReadAllTextAsync(Path.Combine(directory, "README")));
        var request = Assert.Single(_server.Requests);
        Assert.Equal((AgentRoutes.Source(work.AttemptId), work.AttemptCredential), request);
    }

    private ServerWorkspaces Workspaces() =>
        new(new AgentClient(new HttpClient(_server) { BaseAddress = new Uri("http://server.test/") }), new DataLayout(_root));

    private static AgentAssignment Assignment(byte[]? sourceTar) => new()
    {
        AttemptId = 42, RunId = 7, Project = "demo", CommitSha = "0123456789abcdef0123456789abcdef01234567",
        Job = new PlannedJob("build", "test", JobDecision.Run, null, [], false,
            new JobSpec { Name = "build", Image = "alpine:3", Script = ["true"], Variables = new Dictionary<string, string>(), Timeout = TimeSpan.FromMinutes(1) }),
        Attempt = 1, LeaseSeconds = 30, AttemptCredential = "plj_attempt", CacheSaveScope = "main", SourceTar = sourceTar,
    };

    private static JobAssignment Engine(AgentAssignment work) => new()
    {
        RunId = ServerWorkspaces.RunKey(work), Project = work.Project, Repository = "(the Pipeliner server)", CommitSha = work.CommitSha,
        Job = work.Job, Attempt = work.Attempt, CacheScopes = new CacheScopes([], work.CacheSaveScope),
    };

    private static byte[] Tar(string readme)
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "README") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(readme)) });
        }

        return tar.ToArray();
    }

    private sealed class CountingHandler : HttpMessageHandler
    {
        public List<(string Path, string? Credential)> Requests { get; } = [];

        public byte[] Answer { get; set; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add((request.RequestUri!.AbsolutePath,
                request.Headers.TryGetValues(AgentRoutes.AttemptCredentialHeader, out var values) ? values.Single() : null));
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Answer) });
        }
    }
}
