using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Projects;
using Pipeliner.Server.Tests.Support;
using Pipeliner.TestSupport.Git;

namespace Pipeliner.Server.Tests.Projects;

/// <summary>The <c>credentials</c> of <c>POST</c> and <c>PATCH /api/projects</c>: write-only, encrypted, validated.</summary>
public class ProjectCredentialsTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    private const string Password = "glpat-credential-for-tests-0042";
    private const string HttpRepository = "https://git.example.com/shop/api.git";
    private const string SshRepository = "git@git.example.com:shop/api.git";

    [Fact]
    public async Task Create_ShowsOnlyTheKindAndStoresThePasswordEncrypted_WhenCredentialsAreGiven()
    {
        using var client = app.Client();
        var name = await CreateAsync(client, HttpRepository, new { username = "ci-bot", password = Password });

        var shown = await client.GetStringAsync($"/api/projects/{name}");
        var listed = await client.GetStringAsync("/api/projects");

        Assert.Equal("password", JsonSerializer.Deserialize<ProjectView>(shown, Api.Json)!.CredentialsKind);
        Assert.DoesNotContain(Password, shown + listed, StringComparison.Ordinal);
        Assert.DoesNotContain("ci-bot", shown, StringComparison.Ordinal);
        var stored = await app.WithDbAsync(db => db.Projects.SingleAsync(p => p.Name == name));
        Assert.DoesNotContain(Password, stored.CredentialsProtected!, StringComparison.Ordinal);
        var clear = app.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(RepositoryCredentialStore.Purpose).Unprotect(stored.CredentialsProtected!);
        Assert.Contains(Password, clear, StringComparison.Ordinal);
        var audit = await client.GetStringAsync($"/api/audit?project={name}");
        Assert.Contains("repository credentials (password)", audit, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_AcceptsAnEncryptedSshKeyWithItsPassphrase_WhenTheRepositoryIsScpLike()
    {
        // Not a local path, so not refused as one on a server with several users.
        await app.CreateTokenAsync(Role.Developer);
        using var keys = new TempKeys();
        var key = keys.New("the key's passphrase");
        using var client = app.Client();

        var name = await CreateAsync(client, SshRepository, new
        {
            sshPrivateKey = key, sshPassphrase = "the key's passphrase", knownHosts = "git.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
        });

        var project = await client.GetFromJsonAsync<ProjectView>($"/api/projects/{name}", Api.Json);
        Assert.Equal(("ssh", SshRepository), (project!.CredentialsKind, project.Repository));
        var stored = await app.WithDbAsync(db => db.Projects.SingleAsync(p => p.Name == name));
        Assert.DoesNotContain(key.Split('\n')[1], stored.CredentialsProtected!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_ReplacesThenRemovesTheCredentials_WhenPatched()
    {
        using var keys = new TempKeys();
        using var client = app.Client();
        var name = await CreateAsync(client, HttpRepository, new { username = "ci-bot", password = Password });

        using (var replaced = await client.PatchAsJsonAsync($"/api/projects/{name}", new { credentials = new { username = "other", password = "a-new-token" } }))
            await Api.ExpectAsync(replaced, HttpStatusCode.OK);
        var afterReplace = await app.WithDbAsync(db => db.Projects.SingleAsync(p => p.Name == name));
        using var removed = await client.PatchAsJsonAsync($"/api/projects/{name}", new { credentials = new { } });

        await Api.ExpectAsync(removed, HttpStatusCode.OK);
        Assert.Null((await removed.Content.ReadFromJsonAsync<ProjectView>(Api.Json))!.CredentialsKind);
        var protector = app.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(RepositoryCredentialStore.Purpose);
        Assert.Contains("a-new-token", protector.Unprotect(afterReplace.CredentialsProtected!), StringComparison.Ordinal);
        var stored = await app.WithDbAsync(db => db.Projects.SingleAsync(p => p.Name == name));
        Assert.Equal((null, null), (stored.CredentialsKind, stored.CredentialsProtected));
        var audit = await client.GetStringAsync($"/api/audit?project={name}");
        Assert.Contains("changed credentials (password)", audit, StringComparison.Ordinal);
        Assert.Contains("changed credentials (removed)", audit, StringComparison.Ordinal);
        Assert.DoesNotContain("a-new-token", audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_Returns400NamingThePassphrase_WhenItDoesNotDecryptTheKey()
    {
        using var keys = new TempKeys();
        using var client = app.Client();
        var name = await CreateAsync(client, SshRepository, null);

        using var response = await client.PatchAsJsonAsync($"/api/projects/{name}", new
        {
            credentials = new { sshPrivateKey = keys.New("right passphrase"), sshPassphrase = "wrong passphrase" },
        });

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("credentials.sshPassphrase", out var passphraseErrors), problem.GetRawText());
        Assert.Equal("sshPassphrase does not decrypt the key", passphraseErrors[0].GetString());
        Assert.DoesNotContain("wrong passphrase", problem.GetRawText(), StringComparison.Ordinal);
        Assert.Null((await app.WithDbAsync(db => db.Projects.SingleAsync(p => p.Name == name))).CredentialsProtected);
    }

    [Theory]
    [InlineData(HttpRepository, """{"username": "ci", "password": "x", "sshPrivateKey": "k"}""", "credentials")]
    [InlineData(HttpRepository, """{"username": "ci"}""", "credentials.password")]
    [InlineData(HttpRepository, """{"username": "c:i", "password": "x"}""", "credentials.username")]
    [InlineData(SshRepository, """{"username": "ci", "password": "x"}""", "credentials")]
    [InlineData(HttpRepository, """{"sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"}""", "credentials")]
    [InlineData(SshRepository, """{"sshPrivateKey": "ssh-ed25519 AAAA a public key"}""", "credentials.sshPrivateKey")]
    [InlineData(SshRepository, """{"sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n", "knownHosts": "just-a-host"}""", "credentials.knownHosts")]
    [InlineData(SshRepository, """{"sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nnot base64\n-----END OPENSSH PRIVATE KEY-----\n"}""", "credentials.sshPrivateKey")]
    public async Task Create_Returns400NamingTheField_WhenCredentialsDoNotFit(string repository, string credentials, string field)
    {
        using var client = app.Client();
        var body = $$"""{"name": "{{app.NewProjectName("bad-credentials")}}", "repository": "{{repository}}", "forge": "gitea", "webhookSecret": "{{Secrets.Webhook}}", "credentials": {{credentials}}}""";

        using var response = await client.PostAsync("/api/projects", new StringContent(body, Encoding.UTF8, "application/json"));

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.GetRawText());
    }

    private async Task<string> CreateAsync(HttpClient client, string repository, object? credentials)
    {
        var name = app.NewProjectName("credentials");
        using var response = await client.PostAsJsonAsync("/api/projects", new { name, repository, forge = "gitea", webhookSecret = Secrets.Webhook, credentials });
        await Api.ExpectAsync(response, HttpStatusCode.Created);
        return name;
    }

    /// <summary>SSH keys made with ssh-keygen in a folder of their own.</summary>
    private sealed class TempKeys : IDisposable
    {
        private readonly TempDirectory _directory = new("pipeliner-server-tests-keys-");

        public string New(string passphrase)
        {
            var file = _directory.Combine($"key-{Guid.NewGuid():N}");
            ToolProcess.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-f", file);
            return File.ReadAllText(file);
        }

        public void Dispose() => _directory.Dispose();
    }
}
