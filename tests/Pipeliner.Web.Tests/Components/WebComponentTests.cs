using Pipeliner.Web.Tests.Support;
using Xunit.Abstractions;

namespace Pipeliner.Web.Tests.Components;

/// <summary>The dashboard's own tests (Vitest in jsdom: log viewer, stage graph, status, API client), run by dotnet test.</summary>
public sealed class WebComponentTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Vitest_component_tests_pass()
    {
        if (!File.Exists(Path.Combine(Repository.Web, "node_modules", ".package-lock.json")))
        {
            var install = await Processes.RunAsync("npm", "ci --no-audit --no-fund", Repository.Web, TimeSpan.FromMinutes(10));
            Assert.True(install.ExitCode == 0, $"npm ci in web/ failed: {install}");
        }

        var result = await Processes.RunAsync("npm", "test", Repository.Web, TimeSpan.FromMinutes(10),
            new Dictionary<string, string> { ["CI"] = "true", ["NO_COLOR"] = "1", ["FORCE_COLOR"] = "0" });
        output.WriteLine(result.Output);
        Assert.True(result.ExitCode == 0, $"npm test in web/ failed: {result}");
        Assert.Contains("passed", result.Output, StringComparison.Ordinal);
    }
}
