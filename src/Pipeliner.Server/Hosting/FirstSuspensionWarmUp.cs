using System.Diagnostics;
using System.Reflection;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Pipeliner.Engine.Workspaces;
using Pipeliner.Server.Runs;
using Pipeliner.Server.Settings;
using Pipeliner.Server.Webhooks;

namespace Pipeliner.Server.Hosting;

/// <summary>
/// Compiles at start, on a thread below the others' priority, the code of a webhook's first suspended body read and of
/// the run creation behind it (<see cref="SuspensionCode"/>). A webhook's body usually arrives with its headers and is
/// read without suspending; the first one whose body comes a moment later (one in a burst of a hundred, any time after
/// the start) compiled Kestrel's body reader's and the intake's suspension code while it was answered: 21–40 methods,
/// 8–30 ms on a quiet machine, 90 ms at load (docs/performance.md, "No first-time compilation inside the webhooks'
/// answers"). No request is made: nothing reaches the request log, the metrics, the delivery log or the database.
/// It waits until the start is over and <see cref="AfterStart"/> more (the trim at start, <see cref="IdleMemoryTrim"/>):
/// beside the start's own compiling and reading, its memory would add to the start's peak.
/// </summary>
public sealed class FirstSuspensionWarmUp(
    IOptions<PipelinerOptions> options, IHostApplicationLifetime lifetime, TimeProvider time, ILogger<FirstSuspensionWarmUp> logger)
    : BackgroundService
{
    public static readonly TimeSpan AfterStart = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The async methods whose suspension code is compiled, and whether they are a library's compiled ahead: Kestrel's
    /// body read (internal types, looked up by name), the intake's frames that await it, and the run creation that
    /// suspended first in a burst (a fetch of the repository while another one runs). Only these: every async method's
    /// boxes would be a thousand methods, most never needed.
    /// </summary>
    public static IEnumerable<(MethodInfo Method, bool Precompiled)> Methods()
    {
        var kestrel = typeof(KestrelServerOptions).Assembly;
        const string http = "Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http.";
        var kestrels = SuspensionCode.AsyncMethodsNamed(kestrel, http + "Http1ContentLengthMessageBody", "ReadAsyncInternal")
            .Concat(SuspensionCode.AsyncMethodsNamed(kestrel, http + "HttpRequestStream", "ReadAsyncInternal"));
        var ours = Named(typeof(WebhookBody), nameof(WebhookBody.ReadAsync)).Concat(Named(typeof(WebhookIntake), nameof(WebhookIntake.ReceiveAsync)))
            .Concat(Named(typeof(DeliveryProcessor), "ProcessClaimedAsync")).Concat(Named(typeof(RunFactory), nameof(RunFactory.PrepareAsync)))
            .Concat(Named(typeof(WorkspacePreparer), nameof(WorkspacePreparer.EnsureCommitAsync)));
        return kestrels.Select(method => (method, true)).Concat(ours.Select(method => (method, false)));

        static IEnumerable<MethodInfo> Named(Type type, string name) => SuspensionCode.AsyncMethodsNamed(type.Assembly, type.FullName!, name);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var serving = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (lifetime.ApplicationStarted.Register(() => serving.TrySetResult()))
        await using (stoppingToken.Register(() => serving.TrySetCanceled(stoppingToken)))
        {
            await serving.Task;
        }

        await Task.Delay(AfterStart, time, stoppingToken);
        await LowPriorityThread.RunAsync("Suspension warm-up", options.Value.Webhooks.BackgroundNice, () =>
        {
            var started = Stopwatch.GetTimestamp();
            var cpu = ThreadCpuTime.Now();
            var compiledBefore = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true);
            var methods = 0;
            var prepared = 0;
            foreach (var (method, precompiled) in Methods())
            {
                if (stoppingToken.IsCancellationRequested) break;
                methods++;
                try
                {
                    prepared += SuspensionCode.Prepare(method, precompiled);
                }
                catch (Exception e)
                {
                    // It reads the runtime's and Kestrel's internals, which an update may change: a method left
                    // uncompiled costs one answer's compilation, never the server (a service's exception would stop it).
                    logger.LogWarning(e, "Could not compile ahead the suspension code of {Type}.{Method}", method.DeclaringType?.FullName, method.Name);
                }
            }

            logger.LogDebug("Compiled the suspension code of {Methods} async methods ahead: {Prepared} methods prepared, {Compiled} compiled (with the warm-up's own) in {Elapsed:0.0} ms, {Cpu:0.0} ms of CPU",
                methods, prepared, System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true) - compiledBefore, Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                (ThreadCpuTime.Now() - cpu).TotalMilliseconds);
            return Task.CompletedTask;
        });
    }
}
