using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Pipeliner.Server.Hosting;
using Pipeliner.Server.Tests.Support;
using Pipeliner.Server.Tests.Webhooks;
using Pipeliner.Server.Webhooks;

namespace Pipeliner.Server.Tests.Hosting;

/// <summary>
/// A real server process as built (tiered compilation off), with the JIT's list of every method it compiles
/// (<c>DOTNET_JitStdOutFile</c>, <c>DOTNET_JitDisasmSummary</c>): two webhooks whose body comes with the headers, then
/// one whose body comes 300 ms after them, so that Kestrel's body read and the intake's frames suspend. The code of
/// that suspension is compiled at start by <see cref="FirstSuspensionWarmUp"/>, before the first webhook, not while the
/// suspended one is answered.
/// </summary>
public sealed class FirstSuspensionWarmUpTests : IDisposable
{
    private readonly TempDirectory _directory = new("pipeliner-suspension-warm-up-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Methods_FindsKestrelsBodyReadAndTheIntakesFrames_WhenLookedUpInTheFrameworkTheServerRunsOn()
    {
        var names = FirstSuspensionWarmUp.Methods().Select(entry => $"{entry.Method.DeclaringType!.Name}.{entry.Method.Name}").ToList();

        // Kestrel's types are internal and looked up by name: a framework that renamed them would leave its part out.
        Assert.Contains("Http1ContentLengthMessageBody.ReadAsyncInternal", names);
        Assert.Contains("HttpRequestStream.ReadAsyncInternal", names);
        Assert.Contains("WebhookBody.ReadAsync", names);
        Assert.Contains("WebhookIntake.ReceiveAsync", names);
    }

    [Fact]
    public async Task SuspendedBodyRead_CompilesNoneOfItsSuspensionCode_WhenTheServerWarmedUpAtStart()
    {
        var repository = GitRepository.WithPipeline(_directory.Combine("shop"), Pipelines.OneJob);
        var jitList = _directory.Combine("jit.txt");
        var server = await ServerProcess.StartAsync(_directory.Combine("data"), agentCapacity: 0,
            settings: ["--Logging:LogLevel:Pipeliner.Server.Hosting.FirstSuspensionWarmUp=Debug", "--Logging:LogLevel:Pipeliner.Server.Webhooks.WebhookIntake=Debug"],
            environment: new Dictionary<string, string?>
            {
                [ServerProcess.QuickStartingJitVariable] = null, ["DOTNET_JitStdOutFile"] = jitList, ["DOTNET_JitDisasmSummary"] = "1",
            });
        await using (server)
        {
            using var client = server.Client();
            await Poll.UntilAsync(() => server.Output.Contains("Compiled the suspension code of", StringComparison.Ordinal),
                "the warm-up at start", TimeSpan.FromSeconds(60));
            using (var created = await client.PostProjectAsync("shop", repository.Path)) created.EnsureSuccessStatusCode();

            var fixture = WebhookDelivery.Cases["github/push-branch.json"];
            var body = WebhookDelivery.Rewritten(fixture, repository.Head());
            Assert.Equal("HTTP/1.1 202 Accepted", await SendAsync(server.Port, fixture, body, "first", bodyAfter: TimeSpan.Zero));
            await client.WaitForDeliveryAsync("shop", "first", DeliveryOutcomes.Run, TimeSpan.FromSeconds(60));
            Assert.Equal("HTTP/1.1 202 Accepted", await SendAsync(server.Port, fixture, body, "second", bodyAfter: TimeSpan.Zero));
            Assert.Equal("HTTP/1.1 202 Accepted", await SendAsync(server.Port, fixture, body, "suspended", bodyAfter: TimeSpan.FromMilliseconds(300)));
            await Poll.UntilAsync(() => CountOf(server.Output, "answered 202 in") == 3, "the three answers' intake lines", TimeSpan.FromSeconds(10));
            var suspended = server.Output.Split('\n').Last(line => line.Contains("answered 202 in", StringComparison.Ordinal));
            Assert.True(double.Parse(Regex.Match(suspended, @"body ([\d.]+) ms").Groups[1].Value, CultureInfo.InvariantCulture) >= 250, suspended);
            await server.StopAsync(); // the runtime writes out the JIT's list
        }

        var compiled = File.ReadAllLines(jitList);
        // The intake's outer frame is compiled at the first webhook: what follows it was compiled while webhooks were answered.
        var firstWebhook = Array.FindIndex(compiled, line => line.Contains("Pipeliner.Server.Webhooks.WebhookIntake:ReceiveAsync(", StringComparison.Ordinal));
        Assert.True(firstWebhook > 0, "the JIT's list names the intake");
        // The boxes and the builder's methods for these machines; the machines' first (synchronous) calls compile Start.
        string[] machines = ["Http1ContentLengthMessageBody+<ReadAsyncInternal>", "HttpRequestStream+<ReadAsyncInternal>", "WebhookBody+<ReadAsync>"];
        var suspensionCode = compiled.Select((line, index) => (line, index))
            .Where(entry => machines.Any(machine => entry.line.Contains(machine, StringComparison.Ordinal))
                            && (entry.line.Contains("StateMachineBox`1[", StringComparison.Ordinal) || entry.line.Contains(":GetStateMachineBox[", StringComparison.Ordinal)
                                || entry.line.Contains(":AwaitUnsafeOnCompleted[", StringComparison.Ordinal)))
            .ToList();
        Assert.NotEmpty(suspensionCode);
        Assert.Empty(suspensionCode.Where(entry => entry.index > firstWebhook).Select(entry => entry.line));
    }

    /// <summary>One webhook over a connection of its own; its body <paramref name="bodyAfter"/> the headers, or in the same write. Returns the status line.</summary>
    private static async Task<string> SendAsync(int port, FixtureCase fixture, byte[] body, string deliveryId, TimeSpan bodyAfter)
    {
        var head = new StringBuilder($"POST /hooks/shop HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n");
        foreach (var (name, value) in WebhookDelivery.Headers(fixture.Forge, fixture.EventName, deliveryId)) head.Append($"{name}: {value}\r\n");
        var (signature, proof) = WebhookDelivery.Signature(fixture.Forge, body, Secrets.Webhook);
        head.Append($"{signature}: {proof}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
        using var socket = new TcpClient { NoDelay = true };
        await socket.ConnectAsync("127.0.0.1", port);
        var stream = socket.GetStream();
        var headers = Encoding.ASCII.GetBytes(head.ToString());
        if (bodyAfter == TimeSpan.Zero)
        {
            await stream.WriteAsync(headers.Concat(body).ToArray());
        }
        else
        {
            await stream.WriteAsync(headers);
            await Task.Delay(bodyAfter);
            await stream.WriteAsync(body);
        }

        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadLineAsync() ?? "";
    }

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;
}
