using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Environments;

// The environment answers as a client reads them, and the calls the environment tests make.

public sealed record DeployedArtifactView(string Job, string Path, string Sha256);

public sealed record DeploymentView(
    long Id, string Environment, long RunId, int RunNumber, string Job, int Attempt, string Commit, string Version,
    List<DeployedArtifactView> Artifacts, string? DeployedBy, string? ApprovedBy, DateTimeOffset DeployedAt, string Trigger);

public sealed record RulesView(string RequiredRole, List<string> Requires, int Approvals, List<string> Branches, List<string> Tags, bool Configured);

public sealed record EnvironmentView(string Name, RulesView Rules, DeploymentView? Current, List<DeploymentView> History);

public sealed record PromotionView(long RunId, string Environment, List<string> Jobs, string Status, int RequiredApprovals);

internal static class EnvironmentApi
{
    /// <summary>package → deploy-dit (automatic) → deploy-qa (manual) → deploy-prod (manual); each deploy prints the digest of what it got.</summary>
    public const string DeliveryPipeline = """
        on:
          push: { branches: [develop, main, "release/*"] }
          manual: true
        stages: [package, dit, qa, prod]
        defaults: { image: alpine:3 }
        jobs:
          package:
            stage: package
            script: ["mkdir -p dist", "od -An -tx1 -N16 /dev/urandom > dist/app.txt", "echo built"]
            artifacts: { paths: [dist] }
          deploy-dit:
            stage: dit
            needs: [package]
            environment: dit
            script: ["sha256sum dist/app.txt"]
          deploy-qa:
            stage: qa
            needs: [deploy-dit]
            when: manual
            environment: qa
            script: ["sha256sum dist/app.txt"]
          deploy-prod:
            stage: prod
            needs: [deploy-qa]
            when: manual
            environment: prod
            script: ["sha256sum dist/app.txt"]

        """;

    public static Task<HttpResponseMessage> PutRulesAsync(this HttpClient client, string project, string environment, object rules) =>
        client.PutAsJsonAsync($"/api/projects/{project}/environments/{environment}", rules);

    public static async Task SetRulesAsync(this HttpClient client, string project, string environment, object rules)
    {
        using var response = await client.PutRulesAsync(project, environment, rules);
        await Api.ExpectAsync(response, HttpStatusCode.OK);
    }

    public static async Task<List<EnvironmentView>> EnvironmentsAsync(this HttpClient client, string project) =>
        (await client.GetFromJsonAsync<List<EnvironmentView>>($"/api/projects/{project}/environments", Api.Json))!;

    public static async Task<EnvironmentView> EnvironmentAsync(this HttpClient client, string project, string name) =>
        (await client.EnvironmentsAsync(project)).SingleOrDefault(e => e.Name == name)
        ?? throw new Xunit.Sdk.XunitException($"project {project} has no environment {name}");

    public static Task<HttpResponseMessage> PromoteAsync(this HttpClient client, long runId, string environment) =>
        client.PostAsJsonAsync($"/api/runs/{runId}/promote", new { environment });

    public static async Task<PromotionView> PromotedAsync(this HttpResponseMessage response)
    {
        await Api.ExpectAsync(response, HttpStatusCode.Accepted);
        return (await response.Content.ReadFromJsonAsync<PromotionView>(Api.Json))!;
    }

    public static Task<HttpResponseMessage> ApproveAsync(this HttpClient client, long runId, string job) =>
        client.PostAsync($"/api/runs/{runId}/jobs/{job}/approve", content: null);

    public static Task<HttpResponseMessage> RedeployAsync(this HttpClient client, string project, string environment, long deploymentId) =>
        client.PostAsJsonAsync($"/api/projects/{project}/environments/{environment}/redeploy", new { deploymentId });

    /// <summary>Asserts a refusal by a rule: the status, the rule's name and its sentence in the detail.</summary>
    public static async Task<JsonElement> RefusedAsync(this HttpResponseMessage response, HttpStatusCode status, string rule)
    {
        var problem = await Api.ProblemAsync(response, status);
        Assert.Equal(rule, problem.GetProperty("rule").GetString());
        Assert.StartsWith($"rule '{rule}' refused: ", problem.Detail(), StringComparison.Ordinal);
        return problem;
    }

    public static async Task<List<JsonElement>> AuditAsync(this HttpClient client, string project) =>
        (await client.GetFromJsonAsync<JsonElement>($"/api/audit?project={project}", Api.Json)).GetProperty("items").EnumerateArray().ToList();
}
