namespace Pipeliner.Server;

/// <summary>What the start-up found that a person must see: filled in while the server starts, printed once it listens.</summary>
public sealed class StartupReport
{
    /// <summary>The bootstrap admin token generated at this first start (only its hash is stored), until it is printed.</summary>
    public string? GeneratedAdminToken { get; set; }

    /// <summary>Why the jobs' backend cannot be used, with what fixes it; null when it answered.</summary>
    public string? BackendProblem { get; set; }
}

/// <summary>The few lines the server prints when it is ready: where it listens, the first admin token, where its data is, where jobs run.</summary>
public static class StartupBanner
{
    private static readonly string Rule = new('─', 72);

    public static void Write(TextWriter output, IEnumerable<string> urls, string dataDir, string backend, StartupReport report)
    {
        var lines = new List<string> { Rule };
        foreach (var url in urls) lines.Add($" Pipeliner: listening on {url}   (dashboard and API)");
        if (report.GeneratedAdminToken is { } token)
        {
            lines.Add($" Sign in as admin with the bootstrap admin token (shown once): {token}");
            lines.Add("   Keep it now: only its hash is stored. The command line takes it as PIPELINER_TOKEN.");
            report.GeneratedAdminToken = null;
        }

        lines.Add($" Data: {dataDir}");
        lines.Add(backend == "shell"
            ? " Jobs: shell backend: they run unisolated, as this user, on this machine"
            : report.BackendProblem is { } problem
                ? $" Jobs: the docker backend CANNOT RUN JOBS: {problem}"
                : " Jobs: docker backend");
        lines.Add(Rule);
        output.WriteLine(string.Join(Environment.NewLine, lines));
        output.Flush();
    }

    /// <summary>For a start that failed before the banner: the generated token must not be lost with it.</summary>
    public static void WriteUnshownToken(TextWriter output, StartupReport report)
    {
        if (report.GeneratedAdminToken is not { } token) return;
        output.WriteLine($"Pipeliner: bootstrap admin token (shown once; keep it, only its hash is stored): {token}");
        report.GeneratedAdminToken = null;
    }
}
