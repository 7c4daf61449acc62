using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Pipeliner.Agent.Contracts;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Agents;

/// <summary>
/// The job's artifact and cache ceilings on the server's upload endpoint, over real HTTP to a real server process
/// (Kestrel, which the in-memory test server is not): whatever an agent (or anyone holding an attempt's credential)
/// sends — an honest Content-Length over the limit, a chunked body without any, uploads that each fit but not together —
/// the server stops reading past the limit, answers 413 naming the limit and its setting, keeps nothing of that kind,
/// and records the attempt as failed when told of artifacts over the limit.
/// </summary>
public sealed class AgentUploadCeilingTests(AgentUploadCeilingTests.Server server) : IClassFixture<AgentUploadCeilingTests.Server>
{
    private const long Mi = 1 << 20;

    public sealed class Server : IAsyncLifetime
    {
        private readonly TempDirectory _directory = new("pipeliner-upload-ceiling-");

        public ServerProcess Process { get; private set; } = null!;

        public string DataDir => _directory.Combine("data");

        public string WorkDir => Directory.CreateDirectory(_directory.Combine("work")).FullName;

        public async Task InitializeAsync() => Process = await ServerProcess.StartAsync(DataDir, agentCapacity: 0);

        public async Task DisposeAsync()
        {
            await Process.DisposeAsync();
            _directory.Dispose();
        }
    }

    private static string Pipeline(string label) => $$"""
        stages: [build]
        defaults: { image: alpine:3 }
        jobs:
          pack:
            stage: build
            runs-on: [{{label}}]
            resources: { artifacts: 1Mi, workspace: 2Mi }
            script: ["mkdir -p dist"]
            artifacts: { paths: [dist/, more/] }
            cache: { key: deps, paths: [deps/] }

        """;

    private async Task<(HttpClient Admin, HttpAgent Agent, long RunId, AgentAssignment Work)> ClaimAsync()
    {
        var label = "u" + Guid.NewGuid().ToString("N")[..8];
        var admin = server.Process.Client();
        var repository = GitRepository.WithPipeline(Path.Combine(server.WorkDir, label), Pipeline(label));
        using (var created = await admin.PostProjectAsync(label, repository.Path))
            await Api.ExpectAsync(created, HttpStatusCode.Created);
        var runId = await admin.TriggerAsync(label);
        var agent = await HttpAgent.RegisterAsync(server.Process.Client(token: null), admin, "agent-" + label, "linux", label);
        return (admin, agent, runId, await agent.NextAsync());
    }

    private string Uploads(long attemptId, string kind) => Path.Combine(server.DataDir, "uploads", attemptId.ToString(System.Globalization.CultureInfo.InvariantCulture), kind);

    private void AssertNothingKept(long attemptId, string kind) =>
        Assert.False(Directory.Exists(Uploads(attemptId, kind)) && Directory.EnumerateFileSystemEntries(Uploads(attemptId, kind)).Any(), $"the attempt's {kind} uploads were kept");

    private static HttpRequestMessage Put(AgentAssignment work, string url, HttpContent content, byte[] bytes)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = content };
        request.Headers.Add(AgentRoutes.AttemptCredentialHeader, work.AttemptCredential);
        request.Headers.Add(AgentRoutes.Sha256Header, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        return request;
    }

    [Fact]
    public async Task Upload_Answers413NamingTheLimit_WhenItsContentLengthIsOverTheJobsArtifactOrCacheCeiling()
    {
        var (admin, agent, _, work) = await ClaimAsync();
        using var _ = admin;
        await using var alive = agent.KeepAlive(work.AttemptId);
        var bytes = RandomNumberGenerator.GetBytes((int)(2 * Mi));
        var small = RandomNumberGenerator.GetBytes(1000);
        using var http = server.Process.Client(token: null);

        using var fits = await http.SendAsync(Put(work, AgentRoutes.UploadArtifact(work.AttemptId, 0), new ByteArrayContent(small), small));
        using var artifact = await http.SendAsync(Put(work, AgentRoutes.UploadArtifact(work.AttemptId, 1), new ByteArrayContent(bytes), bytes));
        var cacheBytes = RandomNumberGenerator.GetBytes((int)(3 * Mi));
        using var cache = await http.SendAsync(Put(work, AgentRoutes.UploadCache(work.AttemptId, 0), new ByteArrayContent(cacheBytes), cacheBytes));

        await Api.ExpectAsync(fits, HttpStatusCode.NoContent);
        Assert.Equal(
            "the artifacts together hold more than their limit of 1Mi (resources.artifacts; the server's default is Pipeliner:Limits:Artifacts); none of them was stored",
            (await Api.ProblemAsync(artifact, HttpStatusCode.RequestEntityTooLarge)).Detail());
        Assert.Equal(
            "the cache's archives together hold more than the job's workspace limit of 2Mi (resources.workspace; the server's default is Pipeliner:Limits:Workspace); none of it was stored",
            (await Api.ProblemAsync(cache, HttpStatusCode.RequestEntityTooLarge)).Detail());
        // The archive that fitted went with the one that did not: none of the attempt's artifacts can be stored.
        AssertNothingKept(work.AttemptId, "artifacts");
        AssertNothingKept(work.AttemptId, "cache");
    }

    [Fact]
    public async Task Upload_StopsReadingAndKeepsNothing_WhenAChunkedBodyWithoutContentLengthPassesTheCeiling()
    {
        var (admin, agent, _, work) = await ClaimAsync();
        using var _ = admin;
        await using var alive = agent.KeepAlive(work.AttemptId);
        const long offered = 256 * Mi;

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Process.Port);
        var stream = tcp.GetStream();
        var head = $"PUT {AgentRoutes.UploadArtifact(work.AttemptId, 0)} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n" +
                   $"{AgentRoutes.AttemptCredentialHeader}: {work.AttemptCredential}\r\n{AgentRoutes.Sha256Header}: {new string('a', 64)}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        long sent = 0;
        var sending = Task.Run(async () =>
        {
            var chunk = new byte[64 * 1024];
            var header = Encoding.ASCII.GetBytes($"{chunk.Length:x}\r\n");
            try
            {
                while (sent < offered)
                {
                    await stream.WriteAsync(header);
                    await stream.WriteAsync(chunk);
                    await stream.WriteAsync("\r\n"u8.ToArray());
                    Interlocked.Add(ref sent, chunk.Length);
                }

                await stream.WriteAsync("0\r\n\r\n"u8.ToArray());
            }
            catch (IOException)
            {
                // The server closed the connection: it read no more.
            }
        });

        var answer = await ReadAnswerAsync(stream, TimeSpan.FromSeconds(60));
        await sending.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.StartsWith("HTTP/1.1 413 ", answer, StringComparison.Ordinal);
        Assert.Contains("more than their limit of 1Mi (resources.artifacts; the server's default is Pipeliner:Limits:Artifacts)", answer, StringComparison.Ordinal);
        Assert.True(Interlocked.Read(ref sent) < offered / 2, $"{Interlocked.Read(ref sent)} of {offered} bytes went out: the server went on reading past the ceiling");
        AssertNothingKept(work.AttemptId, "artifacts");
    }

    [Fact]
    public async Task Done_RecordsTheAttemptFailedAndStoresNoArtifact_WhenUploadsThatEachFittedHoldMoreTogether()
    {
        var (admin, agent, runId, work) = await ClaimAsync();
        using var _ = admin;
        await using var alive = agent.KeepAlive(work.AttemptId);
        var first = RandomNumberGenerator.GetBytes((int)(700 * 1024));
        var second = RandomNumberGenerator.GetBytes((int)(700 * 1024));
        using var http = server.Process.Client(token: null);
        // Both under way before either is complete: each is counted against the archives already complete (none).
        var release = new TaskCompletionSource();
        var uploads = new[] { (Index: 0, Bytes: first), (Index: 1, Bytes: second) }
            .Select(u => http.SendAsync(Put(work, AgentRoutes.UploadArtifact(work.AttemptId, u.Index), new HeldContent(u.Bytes, release.Task), u.Bytes)))
            .ToList();
        await Poll.UntilAsync(
            () => Task.FromResult(Directory.Exists(Uploads(work.AttemptId, "artifacts")) ? Directory.GetFiles(Uploads(work.AttemptId, "artifacts"), "*.partial").Length : 0),
            count => count == 2, "both uploads to be under way");
        release.SetResult();
        foreach (var upload in uploads)
        {
            using var response = await upload;
            await Api.ExpectAsync(response, HttpStatusCode.NoContent);
        }

        const string line = "2026-12-04T10:00:00.000Z packed\n";
        using (var appended = await agent.AppendLogAsync(work.AttemptId, 0, line))
            await Api.ExpectAsync(appended, HttpStatusCode.OK);
        using var done = await agent.DoneAsync(work.AttemptId, new
        {
            status = "succeeded", exitCode = 0, logLength = Encoding.UTF8.GetByteCount(line), logSha256 = new string('0', 64),
            artifacts = new[]
            {
                new { path = "dist/", index = 0, size = (long)first.Length, sha256 = Convert.ToHexStringLower(SHA256.HashData(first)) },
                new { path = "more/", index = 1, size = (long)second.Length, sha256 = Convert.ToHexStringLower(SHA256.HashData(second)) },
            },
            cache = Array.Empty<object>(),
        });

        await Api.ExpectAsync(done, HttpStatusCode.OK);
        var attempt = (await admin.GetRunAsync(runId)).Job("pack").Attempts.Last();
        Assert.Equal("failed", attempt.Status);
        Assert.Equal("artifacts over their limit of 1Mi (resources.artifacts)", attempt.Message);
        var log = await admin.LogAsync(runId, "pack");
        Assert.StartsWith(line, log, StringComparison.Ordinal);
        Assert.Contains(" pipeliner: artifacts refused: the artifacts together hold more than their limit of 1Mi (resources.artifacts; the server's default is Pipeliner:Limits:Artifacts); none of them was stored\n",
            log, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(server.DataDir, "runs", runId.ToString(System.Globalization.CultureInfo.InvariantCulture), "artifacts", "pack")));
        Assert.False(Directory.Exists(Path.Combine(server.DataDir, "uploads", work.AttemptId.ToString(System.Globalization.CultureInfo.InvariantCulture))));
    }

    /// <summary>The status line, headers and what the server sent of its body until it closed or paused.</summary>
    private static async Task<string> ReadAnswerAsync(NetworkStream stream, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var received = new MemoryStream();
        var buffer = new byte[8192];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, cancel.Token)) > 0)
            {
                received.Write(buffer, 0, read);
                var text = Encoding.UTF8.GetString(received.ToArray());
                if (text.Contains("\r\n\r\n", StringComparison.Ordinal) && text.Contains("}", StringComparison.Ordinal)) break;
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // What arrived before the reset or the wait's end is the answer.
        }

        return Encoding.UTF8.GetString(received.ToArray());
    }

    /// <summary>A body sent in two halves, the second once <paramref name="release"/> completes.</summary>
    private sealed class HeldContent(byte[] bytes, Task release) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
            await stream.FlushAsync();
            await release;
            await stream.WriteAsync(bytes.AsMemory(bytes.Length / 2));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = bytes.Length;
            return true;
        }
    }
}
