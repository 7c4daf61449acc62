using System.IO.Compression;
using System.Text.Json;
using Pipeliner.Web.Tests.Support;
using Xunit.Abstractions;

namespace Pipeliner.Web.Tests.Components;

/// <summary>The production JavaScript the server sends, gzipped, stays under its budget (docs/performance.md).</summary>
public sealed class BundleSizeTests(ITestOutputHelper output)
{
    private const long BudgetBytes = 300 * 1000;

    [Fact]
    public void Production_javascript_is_under_300_KB_gzipped()
    {
        // The server's build copied web/dist here; these are the very files it serves.
        var assets = Path.Combine(AppContext.BaseDirectory, "wwwroot", "assets");
        var scripts = Directory.GetFiles(assets, "*.js");
        Assert.NotEmpty(scripts);

        long raw = 0, gzip = 0;
        foreach (var script in scripts)
        {
            var bytes = File.ReadAllBytes(script);
            raw += bytes.Length;
            using var compressed = new MemoryStream();
            using (var zip = new GZipStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true)) zip.Write(bytes);
            gzip += compressed.Length;
        }

        output.WriteLine($"JavaScript: {raw} bytes, {gzip} bytes gzipped, in {scripts.Length} file(s)");
        File.WriteAllText(Path.Combine(Repository.Figures, "bundle-size.json"),
            JsonSerializer.Serialize(new { files = scripts.Length, jsBytes = raw, jsGzipBytes = gzip }));
        Assert.True(gzip < BudgetBytes, $"the JavaScript is {gzip} bytes gzipped, over the {BudgetBytes} budget");
    }
}
