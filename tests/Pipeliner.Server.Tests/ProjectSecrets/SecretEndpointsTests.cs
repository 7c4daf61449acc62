using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Server.Projects;
using Pipeliner.Server.ProjectSecrets;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.ProjectSecrets;

/// <summary>Secrets are set, listed and deleted by admins; they are encrypted at rest and the API never gives a value back.</summary>
public class SecretEndpointsTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    [Fact]
    public async Task Put_Creates201ThenReplaces200_AndTheListShowsNoValue()
    {
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, app.NewRepository(Pipelines.OneJob));

        using var created = await admin.PutAsJsonAsync($"/api/projects/{project}/secrets/DEPLOY_TOKEN", new { value = "first-value-1" });
        using var replaced = await admin.PutAsJsonAsync($"/api/projects/{project}/secrets/DEPLOY_TOKEN", new { value = "second-value-2" });
        using var scoped = await admin.PutAsJsonAsync($"/api/projects/{project}/secrets/DEPLOY_TOKEN", new { value = "prod-value-3", environment = "prod" });

        await Api.ExpectAsync(created, HttpStatusCode.Created);
        Assert.Equal($"/api/projects/{project}/secrets/DEPLOY_TOKEN", created.Headers.Location?.OriginalString);
        await Api.ExpectAsync(replaced, HttpStatusCode.OK);
        await Api.ExpectAsync(scoped, HttpStatusCode.Created);
        string[] values = ["first-value-1", "second-value-2", "prod-value-3"];
        foreach (var answer in new[] { created, replaced, scoped })
        {
            var body = await answer.Content.ReadAsStringAsync();
            Assert.All(values, value => Assert.DoesNotContain(value, body, StringComparison.Ordinal));
        }

        var list = await admin.GetStringAsync($"/api/projects/{project}/secrets");
        Assert.All(values, value => Assert.DoesNotContain(value, list, StringComparison.Ordinal));
        var secrets = JsonSerializer.Deserialize<List<SecretView>>(list, Api.Json)!;
        Assert.Equal([("DEPLOY_TOKEN", (string?)null), ("DEPLOY_TOKEN", "prod")], secrets.Select(s => (s.Name, s.Environment)));
        Assert.True(secrets[0].UpdatedAt > secrets[0].CreatedAt, "the replaced secret's updatedAt moved");
    }

    [Fact]
    public async Task Put_StoresTheValueEncryptedWithItsOwnPurpose_WhenSet()
    {
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, app.NewRepository(Pipelines.OneJob));
        const string value = "s3cr3t-at-rest";

        (await admin.PutAsJsonAsync($"/api/projects/{project}/secrets/AT_REST", new { value })).Dispose();

        var stored = await app.WithDbAsync(db => db.ProjectSecrets.AsNoTracking().SingleAsync(s => s.Project!.Name == project));
        Assert.DoesNotContain(value, stored.ValueProtected, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(value)), stored.ValueProtected, StringComparison.Ordinal);
        var protection = app.Services.GetRequiredService<IDataProtectionProvider>();
        Assert.Equal(value, protection.CreateProtector(SecretVault.Purpose).Unprotect(stored.ValueProtected));
        Assert.ThrowsAny<CryptographicException>(() => protection.CreateProtector(ProjectEndpoints.SecretPurpose).Unprotect(stored.ValueProtected));
        foreach (var file in Directory.EnumerateFiles(app.DataDir, "pipeliner.db*"))
        {
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream, Encoding.Latin1);
            Assert.DoesNotContain(value, await reader.ReadToEndAsync(), StringComparison.Ordinal);
        }
    }

    public static TheoryData<string, string, string> InvalidRequests => new()
    {
        { "1ABC", """{"value": "v"}""", "name" },
        { "DEPLOY-TOKEN", """{"value": "v"}""", "name" },
        { new string('A', 129), """{"value": "v"}""", "name" },
        { "OK_NAME", """{"value": ""}""", "value" },
        { "OK_NAME", """{}""", "value" },
        { "OK_NAME", $$"""{"value": "{{new string('x', SecretContracts.MaxValueBytes + 1)}}"}""", "value" },
        { "OK_NAME", $$"""{"value": "{{string.Concat(Enumerable.Repeat("é", SecretContracts.MaxValueBytes / 2 + 1))}}"}""", "value" },
        { "OK_NAME", """{"value": "v", "environment": "no spaces"}""", "environment" },
        { "OK_NAME", """{"value": "v", "environment": ""}""", "environment" },
    };

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public async Task Put_Returns400ValidationProblemAndStoresNothing_WhenAFieldIsWrong(string name, string body, string field)
    {
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, app.NewRepository(Pipelines.OneJob));

        using var response = await admin.PutAsync($"/api/projects/{project}/secrets/{name}", new StringContent(body, Encoding.UTF8, "application/json"));

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors name '{field}': {problem}");
        Assert.Equal(0, await app.WithDbAsync(db => db.ProjectSecrets.CountAsync(s => s.Project!.Name == project)));
    }

    [Fact]
    public async Task Put_AcceptsAValueOfExactly64KiB_WhenSet()
    {
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, app.NewRepository(Pipelines.OneJob));

        using var response = await admin.PutAsJsonAsync($"/api/projects/{project}/secrets/BIG", new { value = new string('x', SecretContracts.MaxValueBytes) });

        await Api.ExpectAsync(response, HttpStatusCode.Created);
    }

    [Fact]
    public async Task Put_Returns404_WhenTheProjectDoesNotExist()
    {
        using var admin = app.Client();

        using var response = await admin.PutAsJsonAsync("/api/projects/no-such-project/secrets/TOKEN", new { value = "v" });

        Assert.Equal("no project 'no-such-project'", (await Api.ProblemAsync(response, HttpStatusCode.NotFound)).Detail());
    }

    [Fact]
    public async Task Delete_RemovesOnlyTheNamedScope_WhenTheSecretExists()
    {
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, app.NewRepository(Pipelines.OneJob));
        (await admin.PutAsJsonAsync($"/api/projects/{project}/secrets/TOKEN", new { value = "everywhere" })).Dispose();
        (await admin.PutAsJsonAsync($"/api/projects/{project}/secrets/TOKEN", new { value = "in-qa", environment = "qa" })).Dispose();

        using var deleted = await admin.DeleteAsync($"/api/projects/{project}/secrets/TOKEN?environment=qa");
        using var again = await admin.DeleteAsync($"/api/projects/{project}/secrets/TOKEN?environment=qa");

        await Api.ExpectAsync(deleted, HttpStatusCode.NoContent);
        Assert.Contains("no secret TOKEN for environment qa", (await Api.ProblemAsync(again, HttpStatusCode.NotFound)).Detail(), StringComparison.Ordinal);
        var left = await admin.GetFromJsonAsync<List<SecretView>>($"/api/projects/{project}/secrets", Api.Json);
        Assert.Equal([("TOKEN", (string?)null)], left!.Select(s => (s.Name, s.Environment)));

        using var projectWide = await admin.DeleteAsync($"/api/projects/{project}/secrets/TOKEN");
        await Api.ExpectAsync(projectWide, HttpStatusCode.NoContent);
        Assert.Empty((await admin.GetFromJsonAsync<List<SecretView>>($"/api/projects/{project}/secrets", Api.Json))!);
    }

    [Theory]
    [InlineData("bad-name", "")]
    [InlineData("TOKEN", "?environment=bad%20env")]
    public async Task Delete_Returns400Problem_WhenTheNameOrEnvironmentIsMalformed(string name, string query)
    {
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, app.NewRepository(Pipelines.OneJob));

        using var response = await admin.DeleteAsync($"/api/projects/{project}/secrets/{name}{query}");

        await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task SetAndDelete_AreAuditedByNameOnly_WhenAnAdminDoesThem()
    {
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, app.NewRepository(Pipelines.OneJob));
        const string value = "audit-must-not-see-this";
        (await admin.PutAsJsonAsync($"/api/projects/{project}/secrets/AUDITED", new { value, environment = "dit" })).Dispose();
        (await admin.PutAsJsonAsync($"/api/projects/{project}/secrets/AUDITED", new { value = value + "2", environment = "dit" })).Dispose();
        (await admin.DeleteAsync($"/api/projects/{project}/secrets/AUDITED?environment=dit")).Dispose();

        var page = await admin.GetStringAsync($"/api/audit?project={project}");

        Assert.DoesNotContain(value, page, StringComparison.Ordinal);
        var entries = JsonDocument.Parse(page).RootElement.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["secret.delete", "secret.set", "secret.set", "project.create"], entries.Select(e => e.GetProperty("action").GetString()));
        Assert.All(entries.Take(3), e => Assert.Equal("secret AUDITED of environment dit", e.GetProperty("target").GetString()));
        Assert.Equal(["replaced", "created"], entries.Skip(1).Take(2).Select(e => e.GetProperty("details").GetString()));
    }
}

public sealed record SecretView(string Name, string? Environment, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
