using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Auth;

public sealed record UserView(
    string Name, string Role, DateTimeOffset CreatedAt, DateTimeOffset? DisabledAt, int Tokens, int ActiveTokens, bool HasPassword = false, bool Sso = false);

/// <summary>The calls the user and token tests make, as a client makes them.</summary>
internal static class UserApi
{
    private static int _names;

    /// <summary>A user name no other test uses (tests of a class share one server).</summary>
    public static string NewName(string hint) => $"{hint}-{Interlocked.Increment(ref _names)}";

    public static async Task<string> CreateUserAsync(this HttpClient admin, string role, string hint = "user")
    {
        var name = NewName(hint);
        using var response = await admin.PostAsJsonAsync("/api/users", new { name, role });
        await Api.ExpectAsync(response, HttpStatusCode.Created);
        return name;
    }

    public static async Task<CreatedTokenView> CreateTokenForAsync(this HttpClient admin, string user, string name, string? role = null)
    {
        using var response = await admin.PostAsJsonAsync("/api/tokens", new { user, name, role });
        await Api.ExpectAsync(response, HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<CreatedTokenView>(Api.Json))!;
    }

    public static Task<HttpResponseMessage> PatchUserAsync(this HttpClient admin, string name, object change) =>
        admin.PatchAsJsonAsync($"/api/users/{Uri.EscapeDataString(name)}", change);

    public static async Task<UserView> UserAsync(this HttpClient admin, string name) =>
        (await admin.GetFromJsonAsync<List<UserView>>("/api/users", Api.Json))!.Single(u => u.Name == name);

    public static async Task<JsonElement> MeAsync(this HttpClient client) =>
        await client.GetFromJsonAsync<JsonElement>("/api/me", Api.Json);

    /// <summary>The audit entries about <paramref name="target"/>, newest first.</summary>
    public static async Task<List<JsonElement>> AuditOfAsync(this HttpClient admin, string target) =>
        [.. (await admin.GetFromJsonAsync<JsonElement>("/api/audit", Api.Json)).GetProperty("items").EnumerateArray()
            .Where(e => e.GetProperty("target").GetString() == target)];
}
