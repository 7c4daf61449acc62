using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Forges;
using Pipeliner.Server.Data;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.ForgeStatuses;

/// <summary>Where a run's statuses go: the forge, its API and token, the repository, the commit and the run page.</summary>
public sealed record ForgeStatusTarget(string Forge, string ApiUrl, string Token, string Repository, string CommitSha, string RunUrl)
{
    /// <summary>Without the token, should a target ever be logged.</summary>
    public override string ToString() => $"{Forge} {ApiUrl} {Repository}@{CommitSha}";
}

/// <summary>
/// Finds a run's <see cref="ForgeStatusTarget"/>. The repository is the one the webhook named, or for runs that did
/// not come from a webhook (manual, schedule) the owner/name path of the project's repository URL.
/// </summary>
public sealed class ForgeStatusTargets(
    PipelinerDbContext db, IDataProtectionProvider protection, IOptions<PipelinerOptions> options, IServer server)
{
    public const string TokenPurpose = "Pipeliner.Projects.ForgeToken";

    /// <summary>The target, or null and why there is none.</summary>
    public async Task<(ForgeStatusTarget? Target, string? WhyNot)> ResolveAsync(long runId)
    {
        var run = await db.Runs.AsNoTracking().Include(r => r.Project).FirstAsync(r => r.Id == runId);
        var project = run.Project!;
        if (project.ForgeApiUrl is null || project.ForgeTokenProtected is null)
            return (null, "the project has no forge API URL and token any more");

        string token;
        try
        {
            token = protection.CreateProtector(TokenPurpose).Unprotect(project.ForgeTokenProtected);
        }
        catch (CryptographicException)
        {
            return (null, "the forge token cannot be decrypted with this server's keys; set it again");
        }

        // The delivery that made the run (stored in the same transaction as the run); none for manual and scheduled runs.
        var eventJson = await db.WebhookDeliveries.AsNoTracking()
            .Where(d => d.RunId == run.Id && d.EventJson != null).Select(d => d.EventJson).FirstOrDefaultAsync();
        var fromWebhook = eventJson is null ? null : JsonSerializer.Deserialize<ForgeEvent>(eventJson, JsonSerializerOptions.Web)?.RepositoryFullName;
        var repository = fromWebhook ?? RepositoryPath(project.Repository);
        if (repository is null)
            return (null, $"cannot tell the forge's repository: the run did not come from a webhook and '{project.Repository}' is not a URL with owner/name");

        return (new ForgeStatusTarget(project.Forge, project.ForgeApiUrl, token, repository, run.CommitSha, $"{DashboardUrl()}/projects/{Uri.EscapeDataString(project.Name)}/runs/{run.Number}"), null);
    }

    /// <summary>owner/name (GitLab: the whole namespace path) of a repository URL; null for local paths.</summary>
    public static string? RepositoryPath(string repository)
    {
        if (!repository.Contains("://", StringComparison.Ordinal) || !Uri.TryCreate(repository, UriKind.Absolute, out var uri) || uri.IsFile)
            return null;
        var path = Uri.UnescapeDataString(uri.AbsolutePath).Trim('/');
        if (path.EndsWith(".git", StringComparison.Ordinal)) path = path[..^4];
        return path.Split('/').Length >= 2 && !path.Contains("//", StringComparison.Ordinal) ? path : null;
    }

    private string DashboardUrl()
    {
        if (!string.IsNullOrWhiteSpace(options.Value.PublicUrl)) return options.Value.PublicUrl.TrimEnd('/');
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        return (address ?? "http://localhost").TrimEnd('/');
    }
}
