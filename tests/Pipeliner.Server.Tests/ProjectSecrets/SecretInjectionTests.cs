using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Tests.Support;
using Pipeliner.Server.Tests.Webhooks;
using Pipeliner.Server.Webhooks;

namespace Pipeliner.Server.Tests.ProjectSecrets;

/// <summary>
/// Stored secrets reach real containers: only jobs that list them get them, an environment's value wins for its
/// jobs, pull requests from forks get none unless the project allows it, and no stored log shows a value.
/// </summary>
public class SecretInjectionTests(AppWithAgent app) : IClassFixture<AppWithAgent>
{
    private const string Pipeline = """
        on: { pull_request: {}, manual: true }
        stages: [deploy]
        defaults: { image: alpine:3 }
        jobs:
          to-dit:
            stage: deploy
            environment: dit
            secrets: [API_KEY]
            script:
              - echo "plain=$API_KEY"
              - printf '%s' "$API_KEY" | base64
              - echo "$API_KEY" | base64
              - printf 'sha=%s\n' "$(printf '%s' "$API_KEY" | sha256sum | cut -d' ' -f1)"
          to-prod:
            stage: deploy
            environment: prod
            secrets: [API_KEY]
            script:
              - echo "plain=$API_KEY"
              - printf 'sha=%s\n' "$(printf '%s' "$API_KEY" | sha256sum | cut -d' ' -f1)"
          unlisted:
            stage: deploy
            script:
              - echo "unlisted=${API_KEY:-none}"

        """;

    private const string ListsOnlyAMissingSecret = """
        stages: [deploy]
        defaults: { image: alpine:3 }
        jobs:
          needs-missing:
            stage: deploy
            secrets: [API_KEY, NOT_STORED]
            script: ["echo should never run"]

        """;

    [Fact]
    public async Task Run_GivesEachJobOnlyItsSecretsAndMasksThemInStoredLogs_WhenTheProjectHasThem()
    {
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, app.NewRepository(Pipeline), hint: "secrets");
        var everywhere = NewValue();
        var prod = NewValue();
        await admin.SetSecretAsync(project, "API_KEY", everywhere);
        await admin.SetSecretAsync(project, "API_KEY", prod, "prod");

        var run = await admin.WaitForFinishAsync(await admin.TriggerAsync(project));

        Assert.Equal("succeeded", run.Status);
        var dit = await admin.LogAsync(run.Id, "to-dit");
        var toProd = await admin.LogAsync(run.Id, "to-prod");
        var unlisted = await admin.LogAsync(run.Id, "unlisted");
        Assert.Contains($"sha={Sha256(everywhere)}", dit, StringComparison.Ordinal);
        Assert.Contains($"sha={Sha256(prod)}", toProd, StringComparison.Ordinal);
        Assert.Contains("plain=***", dit, StringComparison.Ordinal);
        Assert.Contains("plain=***", toProd, StringComparison.Ordinal);
        Assert.Contains("unlisted=none", unlisted, StringComparison.Ordinal);
        foreach (var log in new[] { dit, toProd, unlisted })
        {
            foreach (var value in new[] { everywhere, prod }) AssertNoTraceOf(value, log);
        }
    }

    [Fact]
    public async Task Run_FailsTheJobBeforeItStartsNamingTheSecret_WhenAListedSecretIsNotStored()
    {
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, app.NewRepository(ListsOnlyAMissingSecret), hint: "missing");
        await admin.SetSecretAsync(project, "API_KEY", NewValue());

        var run = await admin.WaitForFinishAsync(await admin.TriggerAsync(project));

        Assert.Equal("failed", run.Status);
        var attempt = Assert.Single(run.Job("needs-missing").Attempts);
        Assert.Null(attempt.ExitCode);
        Assert.Equal("secret not provided: NOT_STORED", attempt.Message);
        var log = await admin.LogAsync(run.Id, "needs-missing");
        Assert.Contains("job failed before it started: secret not provided: NOT_STORED", log, StringComparison.Ordinal);
        Assert.DoesNotContain("should never run", log.Replace("echo should never run", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_FailsTheJobNamingTheSecret_WhenAStoredValueCannotBeDecrypted()
    {
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, app.NewRepository(ListsOnlyAMissingSecret), hint: "undecryptable");
        await admin.SetSecretAsync(project, "API_KEY", NewValue());
        await admin.SetSecretAsync(project, "NOT_STORED", NewValue());
        await app.WithDbAsync(db => db.ProjectSecrets.Where(s => s.Project!.Name == project && s.Name == "NOT_STORED")
            .ExecuteUpdateAsync(set => set.SetProperty(s => s.ValueProtected, "CfDJ8-protected-with-a-lost-key")));

        var run = await admin.WaitForFinishAsync(await admin.TriggerAsync(project));

        Assert.Equal("secret not provided: NOT_STORED", Assert.Single(run.Job("needs-missing").Attempts).Message);
        Assert.Contains(app.Errors.All, error => error.Contains("Secret NOT_STORED", StringComparison.Ordinal) && error.Contains("cannot be decrypted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PullRequest_FromAFork_GetsNoSecretAndSaysWhy_WhenTheProjectDoesNotAllowIt()
    {
        using var admin = app.Client();
        var (project, repository) = await CreateProjectAsync(admin, allowSecretsForForks: false);
        var value = NewValue();
        await admin.SetSecretAsync(project, "API_KEY", value);

        var run = await DeliverPullRequestAsync(admin, project, repository, fromFork: true);

        Assert.Equal("failed", run.Status);
        const string reason = "secrets are not given to pull requests from forks (the job lists secret API_KEY)";
        foreach (var job in new[] { "to-dit", "to-prod" })
        {
            Assert.Equal(reason, Assert.Single(run.Job(job).Attempts).Message);
            Assert.Contains(reason, await admin.LogAsync(run.Id, job), StringComparison.Ordinal);
        }

        Assert.Equal("succeeded", run.Job("unlisted").Status);
    }

    [Fact]
    public async Task PullRequest_FromTheSameRepository_GetsTheSecrets_WhenTheProjectDoesNotAllowForks()
    {
        using var admin = app.Client();
        var (project, repository) = await CreateProjectAsync(admin, allowSecretsForForks: false);
        var value = NewValue();
        await admin.SetSecretAsync(project, "API_KEY", value);

        var run = await DeliverPullRequestAsync(admin, project, repository, fromFork: false);

        Assert.Equal("succeeded", run.Status);
        var log = await admin.LogAsync(run.Id, "to-dit");
        Assert.Contains($"sha={Sha256(value)}", log, StringComparison.Ordinal);
        AssertNoTraceOf(value, log);
    }

    [Fact]
    public async Task PullRequest_FromAFork_GetsTheSecrets_WhenTheProjectAllowsIt()
    {
        using var admin = app.Client();
        var (project, repository) = await CreateProjectAsync(admin, allowSecretsForForks: true);
        var value = NewValue();
        await admin.SetSecretAsync(project, "API_KEY", value);

        var run = await DeliverPullRequestAsync(admin, project, repository, fromFork: true);

        Assert.Equal("succeeded", run.Status);
        var log = await admin.LogAsync(run.Id, "to-dit");
        Assert.Contains($"sha={Sha256(value)}", log, StringComparison.Ordinal);
        AssertNoTraceOf(value, log);
    }

    private async Task<(string Project, GitRepository Repository)> CreateProjectAsync(HttpClient admin, bool allowSecretsForForks)
    {
        var repository = app.NewRepository(Pipeline);
        var project = app.NewProjectName("pulls");
        using var response = await admin.PostAsJsonAsync("/api/projects", new
        {
            name = project, repository = repository.Path, forge = "github", webhookSecret = Secrets.Webhook, allowSecretsForForks,
        });
        await Api.ExpectAsync(response, HttpStatusCode.Created);
        Assert.Equal(allowSecretsForForks, (await response.Content.ReadFromJsonAsync<JsonElement>(Api.Json)).GetProperty("allowSecretsForForks").GetBoolean());
        return (project, repository);
    }

    /// <summary>A GitHub pull request #7 whose head is the repository's head (as refs/pull/7/head), from a fork or not.</summary>
    private async Task<RunView> DeliverPullRequestAsync(HttpClient admin, string project, GitRepository repository, bool fromFork)
    {
        var head = repository.Commit("the change to review", new Dictionary<string, string?> { ["change.txt"] = "change\n" });
        repository.Git("update-ref", "refs/pull/7/head", head);
        repository.Git("reset", "-q", "--hard", "HEAD~1");
        var payload = JsonSerializer.SerializeToUtf8Bytes(new
        {
            action = "opened",
            number = 7,
            pull_request = new
            {
                number = 7,
                title = "A change",
                user = new { login = "contributor" },
                head = new { @ref = "feature", sha = head, repo = new { id = fromFork ? 2002 : 1001, full_name = fromFork ? "contributor/shop" : "shop/shop" } },
                @base = new { @ref = "main", sha = repository.Head(), repo = new { id = 1001, full_name = "shop/shop" } },
            },
            repository = new { id = 1001, full_name = "shop/shop" },
            sender = new { login = "contributor" },
        });
        var deliveryId = Guid.NewGuid().ToString();

        using var response = await admin.SendAsync(WebhookDelivery.Request(project, "github", "pull_request", payload, Secrets.Webhook, deliveryId));

        Assert.Equal("accepted", (await response.AcceptedAsync()).Status);
        var delivery = await app.ProcessedDeliveryAsync(deliveryId);
        Assert.Equal(WebhookOutcomes.RunCreated, delivery.Outcome);
        var run = await admin.WaitForFinishAsync(delivery.RunId!.Value);
        Assert.Equal(("pull_request", head), (run.Event, run.Commit));
        return run;
    }

    private static string NewValue() => $"v{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}";

    private static string Sha256(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    /// <summary>Neither the value nor its base64 forms (with and without the newline <c>echo</c> adds) are in the log.</summary>
    private static void AssertNoTraceOf(string value, string log)
    {
        Assert.DoesNotContain(value, log, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(value)), log, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(value + "\n")), log, StringComparison.Ordinal);
    }
}
