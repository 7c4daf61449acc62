using System.Text.RegularExpressions;
using Pipeliner.Forges.Refs;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Projects;

public sealed record CreateProjectRequest(
    string? Name, string? Repository, string? Forge, string? WebhookSecret, string? PipelineFile, string? DefaultBranch,
    bool? AllowSecretsForForks = null);

public sealed record ProjectResponse(
    string Name, string Repository, string Forge, string PipelineFile, string DefaultBranch, DateTimeOffset CreatedAt,
    string WebhookUrl, bool AllowSecretsForForks, ProjectRunInfo? LatestDefaultBranchRun);

public sealed record ProjectRunInfo(long Id, int Number, string Status, string? Branch, string Commit, DateTimeOffset CreatedAt);

public static partial class ProjectContracts
{
    public static readonly string[] Forges = ["github", "gitlab", "gitea", "bitbucket"];

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,99}$", RegexOptions.CultureInvariant)]
    private static partial Regex NameShape();

    /// <summary>Every problem of the request, by field; empty when it is valid.</summary>
    public static Dictionary<string, string[]> Validate(CreateProjectRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Name) || !NameShape().IsMatch(request.Name))
            errors["name"] = ["a name of lower-case letters, digits, '.', '_' and '-', starting with a letter or digit (at most 100)"];
        if (string.IsNullOrWhiteSpace(request.Repository))
            errors["repository"] = ["the repository's URL or local path"];
        else if (!IsRepositoryLocation(request.Repository))
            errors["repository"] = ["an http(s)://, ssh://, git:// or file:// URL, or an absolute path to a local repository"];
        if (request.Forge is null || !Forges.Contains(request.Forge))
            errors["forge"] = [$"one of {string.Join(", ", Forges)}"];
        if (string.IsNullOrEmpty(request.WebhookSecret) || request.WebhookSecret.Length < 8)
            errors["webhookSecret"] = ["at least 8 characters: webhooks are verified with it"];
        if (request.PipelineFile is { } file && (file.Length == 0 || file.StartsWith('/') || file.Split('/').Contains("..")))
            errors["pipelineFile"] = ["a path inside the repository, e.g. .pipeliner.yml"];
        if (request.DefaultBranch is { } branch && !GitRefs.IsValidRefName(branch))
            errors["defaultBranch"] = ["a branch name git accepts, e.g. main"];
        return errors;
    }

    // An absolute path parses as a file:// URI on Unix: only text written as a URL counts as one.
    private static bool IsRepositoryLocation(string repository) =>
        repository.Contains("://", StringComparison.Ordinal)
            ? Uri.TryCreate(repository, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "ssh" or "git" or "file"
            : Path.IsPathRooted(repository) && Directory.Exists(repository);

    public static ProjectResponse ToResponse(this ProjectEntity project, string baseUrl, RunEntity? latest) => new(
        project.Name, project.Repository, project.Forge, project.PipelineFile, project.DefaultBranch, project.CreatedAt,
        $"{baseUrl.TrimEnd('/')}/hooks/{project.Name}", project.AllowSecretsForForks,
        latest is null ? null : new ProjectRunInfo(latest.Id, latest.Number, latest.Status, latest.Branch, latest.CommitSha, latest.CreatedAt));
}
