using Microsoft.AspNetCore.Hosting;

namespace Pipeliner.TestSupport.Hosting;

/// <summary>What every server hosted inside a test process gets, whatever the test.</summary>
public static class TestProcessHosting
{
    /// <summary>
    /// Turns the idle memory trim off. It works on the whole process: inside a test process it would compact the heap of
    /// every test running at the time and page their code out, to be read back from disk (about 3,000 major faults in
    /// 300 of the server's tests, for nothing). Servers started as processes of their own keep it, and
    /// <c>IdleMemoryTrimTests</c> and <c>FilePageOutTests</c> test it.
    /// </summary>
    public static IWebHostBuilder UseTestProcessSettings(this IWebHostBuilder builder) =>
        builder.UseSetting("Pipeliner:IdleMemoryTrim", "00:00:00");
}
