using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Engine.Storage;
using Pipeliner.Server.Data;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Projects;

/// <summary>
/// Whether a repository an admin registers may be a path on the server (or a <c>file://</c> URL): as
/// <c>Pipeliner:Projects:AllowLocalRepositories</c> says, by default only while the server is single-user, and never a
/// path <see cref="LocalRepositoryPaths"/> refuses.
/// </summary>
public sealed class LocalRepositoryPolicy(PipelinerDbContext db, DataLayout layout, IOptions<PipelinerOptions> options)
{
    private const string Setting = $"{PipelinerOptions.Section}:Projects:AllowLocalRepositories";

    /// <summary>Why <paramref name="repository"/> may not be registered; null when it may (a URL always may, as far as this goes).</summary>
    public async Task<string?> WhyRefusedAsync(string repository, CancellationToken cancellationToken)
    {
        if (LocalPathOf(repository) is not { } path) return null;
        if (await WhyNotAllowedAsync(cancellationToken) is { } notAllowed)
            return $"local repositories are not allowed on this server: {notAllowed}; register the repository's URL instead";
        try
        {
            return LocalRepositoryPaths.WhyRefused(path, layout.Root) is { } refused
                ? $"{refused}; a project's repository must not be there"
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return $"'{path}' cannot be checked: {e.Message}";
        }
    }

    private async Task<string?> WhyNotAllowedAsync(CancellationToken cancellationToken)
    {
        var value = options.Value;
        if (value.Projects.AllowLocalRepositories is { } allowed) return allowed ? null : $"{Setting} is false";
        if (value.Auth.AnonymousRead) return $"anyone may read it (Pipeliner:Auth:AnonymousRead) and {Setting} is not set to true";
        var users = await db.Users.CountAsync(u => u.DisabledAt == null, cancellationToken);
        return users <= 1 ? null : $"it has {users} users and {Setting} is not set to true";
    }

    /// <summary>The path a repository location names on this machine; null for a URL of another scheme.</summary>
    private static string? LocalPathOf(string repository)
    {
        if (!repository.Contains("://", StringComparison.Ordinal)) return repository;
        return Uri.TryCreate(repository, UriKind.Absolute, out var uri) && uri.IsFile ? uri.LocalPath : null;
    }
}
