namespace Pipeliner.Server.Tests.Support;

/// <summary>
/// The real forge payloads in <c>shared/fixtures/webhooks</c>, which live beside the repository (X/main and X/shared).
/// Found through PIPELINER_SHARED_DIR, else by walking up from the test binaries. Not finding them fails the test.
/// </summary>
internal static class WebhookFixtures
{
    public const string SharedDirVariable = "PIPELINER_SHARED_DIR";

    /// <param name="relativePath">e.g. <c>github/push-branch.json</c>.</param>
    public static byte[] Read(string relativePath) => File.ReadAllBytes(Path.Combine(Root(), relativePath));

    /// <summary>Every fixture, as <c>forge/file.json</c>.</summary>
    public static IReadOnlyList<string> All()
    {
        var root = Root();
        return Directory.EnumerateFiles(root, "*.json", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(root, path).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    public static string Root()
    {
        var shared = Environment.GetEnvironmentVariable(SharedDirVariable);
        if (!string.IsNullOrEmpty(shared))
        {
            var configured = Path.Combine(shared, "fixtures", "webhooks");
            return Directory.Exists(configured)
                ? configured
                : throw new DirectoryNotFoundException($"{SharedDirVariable} is '{shared}', but '{configured}' does not exist");
        }

        // Walking up from bin/… passes the repository root and then its parent, so this finds both
        // <repo>/shared/fixtures/webhooks and <repo>/../shared/fixtures/webhooks.
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "shared", "fixtures", "webhooks");
            if (Directory.Exists(candidate)) return candidate;
        }

        throw new DirectoryNotFoundException(
            $"webhook fixtures not found: set {SharedDirVariable} or place shared/fixtures/webhooks beside the repository " +
            $"(searched upwards from {AppContext.BaseDirectory})");
    }
}
