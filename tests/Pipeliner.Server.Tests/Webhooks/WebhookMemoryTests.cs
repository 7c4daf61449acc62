using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Pipeliner.Server.Tests.Support;
using Xunit.Abstractions;

namespace Pipeliner.Server.Tests.Webhooks;

/// <summary>
/// The attack of the security review, against a real server process: many large bodies at once that are unsigned or
/// wrongly signed. The server's peak resident memory during the attack (VmHWM, reset before it) must stay within the
/// budgets for unauthenticated data, far from the 24 MB per body that buffering them whole would cost.
/// </summary>
public sealed class WebhookMemoryTests(ITestOutputHelper output) : IDisposable
{
    private const int BodyBytes = 24 * 1024 * 1024;
    private const int Parallel = 16;

    /// <summary>Generous against the default budgets (16 MiB in memory) plus the server's own working set, a tenth of the 384 MB the bodies weigh.</summary>
    private const long MaxPeakGrowthBytes = 160L * 1024 * 1024;

    private readonly TempDirectory _directory = new("pipeliner-webhook-memory-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Deliver_KeepsThePeakMemoryWithinTheBudget_WhenManyLargeUnauthenticatedBodiesArriveAtOnce()
    {
        var repository = GitRepository.WithPipeline(_directory.Combine("repo"), Pipelines.OneJob);
        // The server's built runtime settings: its memory is what this test measures.
        await using var server = await ServerProcess.StartAsync(_directory.Combine("data"), agentCapacity: 0,
            environment: new Dictionary<string, string?> { [ServerProcess.QuickStartingJitVariable] = null });
        using var client = server.Client();
        using (var created = await client.PostProjectAsync("big-bodies", repository.Path))
            await Api.ExpectAsync(created, HttpStatusCode.Created);
        var fixture = WebhookDelivery.Cases["github/push-branch.json"];
        var body = new byte[BodyBytes];
        Array.Fill(body, (byte)' ');
        WebhookFixtures.Read(fixture.File).CopyTo(body, 0);
        // Warm up the paths the attack takes, then start measuring from the memory the server holds at rest.
        await SendAsync(client, fixture, body, "wrong-secret", "warm-up");
        var atRest = Memory(server.ProcessId, "VmRSS");
        ResetPeak(server.ProcessId);

        var answers = await Task.WhenAll(Enumerable.Range(0, Parallel).SelectMany(i => new[]
        {
            SendAsync(client, fixture, body, secret: null, $"unsigned-{i}"),
            SendAsync(client, fixture, body, "wrong-secret", $"wrongly-signed-{i}"),
        }));

        var peak = Memory(server.ProcessId, "VmHWM");
        var after = Memory(server.ProcessId, "VmRSS");
        output.WriteLine($"{2 * Parallel} bodies of {BodyBytes / (1024 * 1024)} MiB: resident {atRest / 1048576} MiB at rest, " +
                         $"peak {peak / 1048576} MiB (+{(peak - atRest) / 1048576} MiB), {after / 1048576} MiB after");
        Assert.All(answers, status => Assert.True(status is null or HttpStatusCode.Unauthorized, $"answered {status}"));
        Assert.Contains(answers, status => status == HttpStatusCode.Unauthorized);
        Assert.True(peak - atRest < MaxPeakGrowthBytes,
            $"peak resident memory grew by {(peak - atRest) / 1048576} MiB (at most {MaxPeakGrowthBytes / 1048576} MiB)");
        Assert.Empty(Directory.GetFiles(_directory.Combine("data", "spool", "webhooks")));
        Assert.DoesNotContain("Exception", server.Output, StringComparison.Ordinal);
    }

    /// <returns>The status, or null when the server answered and closed the connection before the whole body was sent.</returns>
    private static async Task<HttpStatusCode?> SendAsync(HttpClient client, FixtureCase fixture, byte[] body, string? secret, string deliveryId)
    {
        try
        {
            using var response = await client.SendAsync(WebhookDelivery.Request("big-bodies", fixture, body, secret, deliveryId));
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>A field of /proc/{pid}/status, in bytes.</summary>
    private static long Memory(int processId, string field)
    {
        var status = File.ReadAllText($"/proc/{processId}/status");
        var kilobytes = Regex.Match(status, $@"^{field}:\s+(\d+) kB", RegexOptions.Multiline).Groups[1].Value;
        return long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>Resets the peak resident size (VmHWM) to the current one.</summary>
    private static void ResetPeak(int processId) => File.WriteAllText($"/proc/{processId}/clear_refs", "5");
}
