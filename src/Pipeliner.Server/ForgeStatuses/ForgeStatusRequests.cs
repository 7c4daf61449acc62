using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;

namespace Pipeliner.Server.ForgeStatuses;

/// <summary>The HTTP request each forge's commit status API expects: path, authentication header and body.</summary>
public static class ForgeStatusRequests
{
    private const int BitbucketKeyLength = 40;

    public static HttpRequestMessage Build(ForgeStatusTarget target, string context, CommitState state, string description)
    {
        var api = target.ApiUrl.TrimEnd('/');
        var sha = Uri.EscapeDataString(target.CommitSha);
        var (path, body) = target.Forge switch
        {
            "gitlab" => ($"{api}/projects/{Uri.EscapeDataString(target.Repository)}/statuses/{sha}", (object)new GitLabStatus(
                GitLabState(state), context, target.RunUrl, Described(state, description))),
            "bitbucket" => ($"{api}/2.0/repositories/{EscapePath(target.Repository)}/commit/{sha}/statuses/build", new BitbucketStatus(
                BitbucketState(state), BitbucketKey(context), context, target.RunUrl, Described(state, description))),
            // GitHub, and Gitea (Forgejo), which copies its statuses API.
            _ => ($"{api}/repos/{EscapePath(target.Repository)}/statuses/{sha}", new GitHubStatus(
                GitHubState(state), target.RunUrl, Described(state, description), context)),
        };

        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, body.GetType()) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("Pipeliner", "1.0"));
        switch (target.Forge)
        {
            case "gitlab":
                request.Headers.Add("PRIVATE-TOKEN", target.Token);
                break;
            case "gitea":
                request.Headers.Authorization = new AuthenticationHeaderValue("token", target.Token);
                break;
            default:
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", target.Token);
                break;
        }

        return request;
    }

    private static string EscapePath(string repository) => string.Join('/', repository.Split('/').Select(Uri.EscapeDataString));

    // Skipped and manual are said as a success (no forge would let them block a merge), so the word must be in the description.
    private static string Described(CommitState state, string description) => state switch
    {
        CommitState.Skipped when !description.StartsWith("skipped", StringComparison.Ordinal) => $"skipped: {description}",
        CommitState.Manual when !description.StartsWith("manual", StringComparison.Ordinal) => $"manual: {description}",
        _ => description,
    };

    private static string GitHubState(CommitState state) => state switch
    {
        CommitState.Pending or CommitState.Running => "pending",
        CommitState.Success or CommitState.Skipped or CommitState.Manual => "success",
        CommitState.Canceled => "error",
        _ => "failure",
    };

    private static string GitLabState(CommitState state) => state switch
    {
        CommitState.Pending => "pending",
        CommitState.Running => "running",
        CommitState.Success or CommitState.Skipped or CommitState.Manual => "success",
        CommitState.Canceled => "canceled",
        _ => "failed",
    };

    private static string BitbucketState(CommitState state) => state switch
    {
        CommitState.Pending or CommitState.Running => "INPROGRESS",
        CommitState.Success or CommitState.Skipped or CommitState.Manual => "SUCCESSFUL",
        CommitState.Canceled => "STOPPED",
        _ => "FAILED",
    };

    /// <summary>Bitbucket keys are at most 40 characters: a longer context keeps its start and a hash of the whole.</summary>
    public static string BitbucketKey(string context)
    {
        if (context.Length <= BitbucketKeyLength) return context;
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(context)))[..12];
        return $"{context[..(BitbucketKeyLength - hash.Length - 1)]}-{hash}";
    }

    private sealed record GitHubStatus(string State, [property: JsonPropertyName("target_url")] string TargetUrl, string Description, string Context);

    private sealed record GitLabStatus(string State, string Name, [property: JsonPropertyName("target_url")] string TargetUrl, string Description);

    private sealed record BitbucketStatus(string State, string Key, string Name, string Url, string Description);
}
