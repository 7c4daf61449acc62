using System.Text.RegularExpressions;
using Pipeliner.Engine.Workspaces;
using Pipeliner.Forges.Refs;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Projects;

public sealed record CreateProjectRequest(
    string? Name, string? Repository, string? Forge, string? WebhookSecret, string? PipelineFile, string? DefaultBranch,
    bool? AllowSecretsForForks = null, string? ForgeApiUrl = null, string? ForgeToken = null, RepositoryCredentialsRequest? Credentials = null);

/// <summary>
/// The settings <c>PATCH /api/projects/{project}</c> changes; null leaves one as it is, "" clears the forge API URL or
/// token, credentials with every field empty (<c>{}</c>) remove them.
/// </summary>
public sealed record UpdateProjectRequest(
    string? ForgeApiUrl, string? ForgeToken, string? DefaultBranch, string? PipelineFile, string? WebhookSecret,
    string? Name = null, string? Repository = null, string? Forge = null, bool? AllowSecretsForForks = null,
    RepositoryCredentialsRequest? Credentials = null);

/// <summary>
/// A project as the API shows it; its secrets (webhook secret, forge token, repository credentials) never leave the
/// server: only whether a forge token is set and which kind of credentials ("password", "ssh" or null).
/// </summary>
public sealed record ProjectResponse(
    string Name, string Repository, string Forge, string PipelineFile, string DefaultBranch, DateTimeOffset CreatedAt,
    string WebhookUrl, bool AllowSecretsForForks, ProjectRunInfo? LatestDefaultBranchRun, string? ForgeApiUrl, bool HasForgeToken,
    string? CredentialsKind, DateTimeOffset? ArchivedAt = null);

public sealed record ProjectRunInfo(long Id, int Number, string Status, string? Branch, string Commit, DateTimeOffset CreatedAt, bool ManualJobsAvailable);

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
        else if (IsLocalPath(request.Repository) && !Directory.Exists(request.Repository))
            errors["repository"] = [$"no repository at {request.Repository}: the directory does not exist"];
        else if (!IsRepositoryLocation(request.Repository))
            errors["repository"] = ["an http(s)://, ssh://, git:// or file:// URL, user@host:path (SSH), or an absolute path to a local repository"];
        if (request.Forge is null || !Forges.Contains(request.Forge))
            errors["forge"] = [$"one of {string.Join(", ", Forges)}"];
        if (string.IsNullOrEmpty(request.WebhookSecret)) errors["webhookSecret"] = [WebhookSecretRule];
        ValidateSettings(errors, request.WebhookSecret, request.PipelineFile, request.DefaultBranch, request.ForgeApiUrl, request.ForgeToken, clearing: false);
        CredentialContracts.Validate(errors, request.Credentials, errors.ContainsKey("repository") ? null : request.Repository);
        return errors;
    }

    /// <summary>Every problem of the change to a project reading <paramref name="repository"/>, by field; empty when it is valid.</summary>
    public static Dictionary<string, string[]> Validate(UpdateProjectRequest request, string repository)
    {
        var errors = new Dictionary<string, string[]>();
        foreach (var (field, value) in new[] { ("name", request.Name), ("repository", request.Repository), ("forge", request.Forge) })
        {
            if (value is not null) errors[field] = ["cannot be changed: register a new project instead"];
        }

        if (request is { ForgeApiUrl: null, ForgeToken: null, DefaultBranch: null, PipelineFile: null, WebhookSecret: null, AllowSecretsForForks: null, Credentials: null }
            && errors.Count == 0)
            errors["body"] = ["nothing to change: give forgeApiUrl, forgeToken, defaultBranch, pipelineFile, webhookSecret, allowSecretsForForks or credentials"];
        ValidateSettings(errors, request.WebhookSecret, request.PipelineFile, request.DefaultBranch, request.ForgeApiUrl, request.ForgeToken, clearing: true);
        CredentialContracts.Validate(errors, request.Credentials, repository);
        return errors;
    }

    private const string WebhookSecretRule = "at least 8 characters: webhooks are verified with it";

    private static void ValidateSettings(
        Dictionary<string, string[]> errors, string? webhookSecret, string? pipelineFile, string? defaultBranch, string? forgeApiUrl,
        string? forgeToken, bool clearing)
    {
        if (webhookSecret is { Length: < 8 }) errors["webhookSecret"] = [WebhookSecretRule];
        if (pipelineFile is { } file && (file.Length == 0 || file.StartsWith('/') || file.Split('/').Contains("..")))
            errors["pipelineFile"] = ["a path inside the repository, e.g. .pipeliner.yml"];
        if (defaultBranch is { } branch && !GitRefs.IsValidRefName(branch))
            errors["defaultBranch"] = ["a branch name git accepts, e.g. main"];
        if (forgeApiUrl is { } api && !(clearing && api.Length == 0) && !IsHttpUrl(api))
            errors["forgeApiUrl"] = ["the forge API's absolute http(s) URL, e.g. https://api.github.com or https://gitlab.example.com/api/v4" + (clearing ? "; \"\" removes it" : "")];
        if (forgeToken is { } token && !(clearing && token.Length == 0) && (string.IsNullOrWhiteSpace(token) || token.Any(char.IsControl)))
            errors["forgeToken"] = ["a token for the forge's API, without spaces only or control characters" + (clearing ? "; \"\" removes it" : "")];
    }

    private static bool IsHttpUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && !string.IsNullOrEmpty(uri.Host)
        && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment);

    private static bool IsLocalPath(string repository) =>
        !repository.Contains("://", StringComparison.Ordinal) && Path.IsPathRooted(repository);

    // An absolute path parses as a file:// URI on Unix: only text written as a URL counts as one.
    private static bool IsRepositoryLocation(string repository) =>
        repository.Contains("://", StringComparison.Ordinal)
            ? Uri.TryCreate(repository, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "ssh" or "git" or "file"
            : RepositoryLocation.IsScpLike(repository) || (Path.IsPathRooted(repository) && Directory.Exists(repository));

    public static ProjectResponse ToResponse(this ProjectEntity project, string baseUrl, RunEntity? latest) => new(
        project.Name, project.Repository, project.Forge, project.PipelineFile, project.DefaultBranch, project.CreatedAt,
        $"{baseUrl.TrimEnd('/')}/hooks/{project.Name}", project.AllowSecretsForForks,
        latest is null ? null : new ProjectRunInfo(latest.Id, latest.Number, latest.Status, latest.Branch, latest.CommitSha, latest.CreatedAt, latest.ManualJobsAvailable),
        project.ForgeApiUrl, project.ForgeTokenProtected is not null, project.CredentialsKind, project.ArchivedAt);

    /// <summary>Why a new run of <paramref name="project"/> cannot start (the answer of a refused webhook or trigger); null when it can.</summary>
    public static string? WhyNoNewRuns(this ProjectEntity project) => project.ArchivedAt is { } archived
        ? $"project '{project.Name}' is archived (since {archived:yyyy-MM-dd HH:mm} UTC): it takes no webhooks and no new runs; an admin can unarchive it"
        : null;
}
