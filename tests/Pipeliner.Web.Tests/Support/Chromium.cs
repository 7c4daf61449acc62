using Microsoft.Playwright;

namespace Pipeliner.Web.Tests.Support;

/// <summary>
/// Debian's Chromium driven by Playwright with an explicit executable: no browser is ever downloaded. Each launch
/// gets a fresh profile directory from Playwright. A missing browser fails the tests, it never skips them.
/// </summary>
public static class Chromium
{
    public static string ExecutablePath =>
        Environment.GetEnvironmentVariable("PIPELINER_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    private static readonly string[] Arguments =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--enable-precise-memory-info",
    ];

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException(
                $"no Chromium at {ExecutablePath}: run 'bash deploy/dev/test.sh' (as root it installs it), or 'apt-get install -y chromium', " +
                "or set PIPELINER_CHROMIUM to a Chromium executable");
        }

        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = Arguments,
            Timeout = 120_000,
        });
        return (playwright, browser);
    }
}
