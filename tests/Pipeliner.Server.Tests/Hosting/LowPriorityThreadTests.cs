using System.Threading.Channels;
using Pipeliner.Server.Hosting;

namespace Pipeliner.Server.Tests.Hosting;

/// <summary>The thread that runs the webhooks' background work below the intake's priority: its loop stays on it, niced.</summary>
public class LowPriorityThreadTests
{
    [Fact]
    public async Task RunAsync_ResumesTheLoopOnItsThread_WhenItAwaitsRealWaits()
    {
        using var thread = new LowPriorityThread("test lane", 5);
        var channel = Channel.CreateUnbounded<int>();
        var threads = new List<int>();

        var running = thread.RunAsync(async () =>
        {
            threads.Add(Environment.CurrentManagedThreadId);
            while (await channel.Reader.WaitToReadAsync())
            {
                while (channel.Reader.TryRead(out _)) threads.Add(Environment.CurrentManagedThreadId);
                await Task.Yield();
                threads.Add(Environment.CurrentManagedThreadId);
            }
        });
        for (var i = 0; i < 3; i++)
        {
            await channel.Writer.WriteAsync(i);
            await Task.Delay(20);
        }

        channel.Writer.Complete();
        await running.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(threads.Count >= 3);
        Assert.Single(threads.Distinct());
        Assert.NotEqual(Environment.CurrentManagedThreadId, threads[0]);
    }

    [Fact]
    public async Task RunAsync_FailsWithTheLoopsException_WhenTheLoopThrows()
    {
        using var thread = new LowPriorityThread("test lane", 5);

        var running = thread.RunAsync(async () =>
        {
            await Task.Yield();
            throw new InvalidOperationException("the loop failed");
        });

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => running.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("the loop failed", thrown.Message);
    }

    [Fact]
    public async Task RunAsync_RunsItsThreadNicedBelowTheCaller_OnLinux()
    {
        if (!OperatingSystem.IsLinux()) return; // nice values per thread are Linux's
        using var thread = new LowPriorityThread("test lane", 5);
        var ownNice = NiceOfThread(File.ReadAllText("/proc/thread-self/stat"));
        string? laneStat = null;

        await thread.RunAsync(() =>
        {
            laneStat = File.ReadAllText("/proc/thread-self/stat");
            return Task.CompletedTask;
        }).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(Math.Min(19, ownNice + 5), NiceOfThread(laneStat!));
        Assert.Equal(NiceOfThread(laneStat!), thread.Nice);
    }

    /// <summary>The nice value in a /proc/…/stat line: the 19th field, counted after the command's closing parenthesis.</summary>
    private static int NiceOfThread(string stat) =>
        int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16]);
}
