using System.Text;
using System.Text.RegularExpressions;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.ProjectSecrets;

/// <summary><c>PUT /api/projects/{project}/secrets/{name}</c>: the value, and the environment it is for (none: every job).</summary>
public sealed record SetSecretRequest(string? Value, string? Environment);

/// <summary>A stored secret as the API shows it: never its value.</summary>
public sealed record SecretResponse(string Name, string? Environment, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public static partial class SecretContracts
{
    public const int MaxValueBytes = 64 * 1024;

    /// <summary>The names a pipeline's <c>secrets:</c> accepts (see docs/pipeline-format.md), so every listed secret can be stored.</summary>
    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex NameShape();

    /// <summary>Environment names as a pipeline's <c>environment:</c> accepts them.</summary>
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$", RegexOptions.CultureInvariant)]
    private static partial Regex EnvironmentShape();

    public static string? NameProblem(string name) =>
        NameShape().IsMatch(name) ? null : "a variable name: letters, digits and '_', not starting with a digit (at most 128), e.g. DEPLOY_TOKEN";

    public static string? EnvironmentProblem(string? environment) =>
        environment is null || EnvironmentShape().IsMatch(environment)
            ? null
            : "an environment name: letters, digits, '-', '_' and '.', starting with a letter or digit (at most 100); leave it out for every job";

    /// <summary>Every problem of the request, by field; empty when it is valid.</summary>
    public static Dictionary<string, string[]> Validate(string name, SetSecretRequest? request)
    {
        var errors = new Dictionary<string, string[]>();
        if (NameProblem(name) is { } nameProblem) errors["name"] = [nameProblem];
        if (string.IsNullOrEmpty(request?.Value))
            errors["value"] = ["the secret's value, not empty"];
        else if (Encoding.UTF8.GetByteCount(request.Value) > MaxValueBytes)
            errors["value"] = [$"at most {MaxValueBytes / 1024} KiB (UTF-8)"];
        if (EnvironmentProblem(request?.Environment) is { } environmentProblem) errors["environment"] = [environmentProblem];
        return errors;
    }

    public static string? EnvironmentOf(ProjectSecretEntity secret) =>
        secret.Environment == ProjectSecretEntity.ProjectWide ? null : secret.Environment;

    public static SecretResponse ToResponse(this ProjectSecretEntity secret) =>
        new(secret.Name, EnvironmentOf(secret), secret.CreatedAt, secret.UpdatedAt);

    /// <summary>How the audit log names a secret: its name and scope, never its value.</summary>
    public static string AuditTarget(string name, string? environment) =>
        environment is null ? $"secret {name}" : $"secret {name} of environment {environment}";
}
