using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Pipeliner.Cli.Projects;

/// <summary>Talks to the server's project API and turns every answer into one clear message and an exit code.</summary>
internal sealed class ProjectClient(CliConsole console)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public Task<int> AddAsync(string server, string token, ProjectRegistration registration, CancellationToken cancellationToken) =>
        SendAsync(server, token, HttpMethod.Post, "/api/projects", registration, "register projects", body =>
            $"project '{registration.Name}' registered; point the {registration.Forge} webhook at {TryRead(body, "webhookUrl")}", cancellationToken);

    public Task<int> UpdateAsync(string server, string token, string name, ProjectChange change, CancellationToken cancellationToken) =>
        SendAsync(server, token, HttpMethod.Patch, $"/api/projects/{Uri.EscapeDataString(name)}", change, "change projects", body =>
        {
            var kind = TryRead(body, "credentialsKind");
            return $"project '{name}' updated; repository credentials: {kind ?? "none"}";
        }, cancellationToken);

    private async Task<int> SendAsync<T>(
        string server, string token, HttpMethod method, string path, T body, string action, Func<string, string> success, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(server, UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
        {
            console.Error.WriteLine($"pipeliner: --server must be an http(s) address, got '{server}'");
            return ExitCodes.Error;
        }

        using var http = new HttpClient { BaseAddress = baseUri, Timeout = Timeout };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        HttpResponseMessage response;
        try
        {
            using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body, options: JsonSerializerOptions.Web) };
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            console.Error.WriteLine($"pipeliner: cannot reach the server at {baseUri}: {e.Message}");
            return ExitCodes.Error;
        }

        using (response)
        {
            var answer = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                console.Out.WriteLine(success(answer));
                return ExitCodes.Success;
            }

            console.Error.WriteLine($"pipeliner: the server refused the project: {Describe(response.StatusCode, answer, action)}");
            return ExitCodes.Failure;
        }
    }

    private static string Describe(HttpStatusCode status, string body, string action)
    {
        if (status == HttpStatusCode.Unauthorized) return "the token is unknown, expired or revoked";
        if (status == HttpStatusCode.Forbidden) return $"the token's role may not {action} (admin needed)";
        try
        {
            using var problem = JsonDocument.Parse(body);
            if (problem.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
            {
                return string.Join("; ", errors.EnumerateObject().Select(field =>
                    $"{field.Name}: {string.Join(", ", field.Value.EnumerateArray().Select(m => m.GetString()))}"));
            }

            if (problem.RootElement.TryGetProperty("detail", out var detail)) return detail.GetString() ?? status.ToString();
        }
        catch (JsonException)
        {
            // Not a problem document: the status says enough.
        }

        return $"{(int)status} {status}";
    }

    private static string? TryRead(string json, string property)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
