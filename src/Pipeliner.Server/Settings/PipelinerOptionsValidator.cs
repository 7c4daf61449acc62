using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Pipeliner.Core.Model;

namespace Pipeliner.Server.Settings;

/// <summary>
/// Checks the settings' attributes, in every section (data annotations alone skip nested ones), and the schedule, and
/// names each wrong setting by its key, as the operator wrote it.
/// </summary>
public sealed class PipelinerOptionsValidator : IValidateOptions<PipelinerOptions>
{
    public ValidateOptionsResult Validate(string? name, PipelinerOptions options)
    {
        var failures = new List<string>();
        Check(PipelinerOptions.Section, options, failures);
        Check($"{PipelinerOptions.Section}:Database", options.Database, failures);
        if (!string.IsNullOrWhiteSpace(options.Database.CopyFrom) && options.Database.Provider != DatabaseOptions.Postgres)
        {
            failures.Add($"{PipelinerOptions.Section}:Database:CopyFrom: copies into PostgreSQL; also set " +
                         $"{PipelinerOptions.Section}:Database:Provider=postgres and ConnectionStrings:{DatabaseOptions.ConnectionStringName}");
        }

        Check($"{PipelinerOptions.Section}:Agent", options.Agent, failures);
        Check($"{PipelinerOptions.Section}:Auth", options.Auth, failures);
        Check($"{PipelinerOptions.Section}:Auth:Session", options.Auth.Session, failures);
        Check($"{PipelinerOptions.Section}:Auth:SignInThrottle", options.Auth.SignInThrottle, failures);
        Check($"{PipelinerOptions.Section}:Auth:Oidc", options.Auth.Oidc, failures);
        failures.AddRange(OidcProblems(options.Auth.Oidc));
        Check($"{PipelinerOptions.Section}:ForgeStatuses", options.ForgeStatuses, failures);
        Check($"{PipelinerOptions.Section}:Webhooks", options.Webhooks, failures);
        if (options.Webhooks.RetryDelays?.Any(delay => delay < TimeSpan.Zero || delay > TimeSpan.FromDays(1)) == true)
            failures.Add($"{PipelinerOptions.Section}:Webhooks:RetryDelays: each wait must be between 00:00:00 and 1.00:00:00");
        Check($"{PipelinerOptions.Section}:Projects", options.Projects, failures);
        Check($"{PipelinerOptions.Section}:Limits", options.Limits, failures);
        failures.AddRange(options.Limits.SizeProblems().Select(problem => $"{PipelinerOptions.Section}:Limits:{problem}"));
        Check($"{PipelinerOptions.Section}:Logs", options.Logs, failures);
        Check($"{PipelinerOptions.Section}:Retention:Logs", options.Retention.Logs, failures);
        Check($"{PipelinerOptions.Section}:Retention:Artifacts", options.Retention.Artifacts, failures);
        Check($"{PipelinerOptions.Section}:Retention:Caches", options.Retention.Caches, failures);
        failures.AddRange(options.Retention.SizeProblems().Select(problem => $"{PipelinerOptions.Section}:Retention:{problem}"));
        if (CronSchedule.TryParse(options.Retention.Schedule, out var retentionError) is null)
            failures.Add($"{PipelinerOptions.Section}:Retention:Schedule: {retentionError}");
        Check($"{PipelinerOptions.Section}:Storage", options.Storage, failures);
        if (CronSchedule.TryParse(options.ForgeStatuses.ResendSchedule, out var error) is null)
            failures.Add($"{PipelinerOptions.Section}:ForgeStatuses:ResendSchedule: {error}");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static IEnumerable<string> OidcProblems(OidcOptions oidc)
    {
        if (!oidc.Enabled) yield break;
        var prefix = $"{PipelinerOptions.Section}:Auth:Oidc";
        if (!Uri.TryCreate(oidc.Authority, UriKind.Absolute, out var authority) || authority.Scheme is not ("https" or "http"))
            yield return $"{prefix}:Authority: an http(s) URL, e.g. https://login.example.com/realms/main";
        else if (authority.Scheme == "http" && !authority.IsLoopback)
            yield return $"{prefix}:Authority: must be https (plain http only for a provider on this machine)";
        if (string.IsNullOrWhiteSpace(oidc.ClientId)) yield return $"{prefix}:ClientId: required when Authority is set";
        if (string.IsNullOrWhiteSpace(oidc.ClientSecret)) yield return $"{prefix}:ClientSecret: required when Authority is set";
    }

    private static void Check<TSection>(string prefix, TSection section, List<string> failures) where TSection : notnull
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(section, new ValidationContext(section), results, validateAllProperties: true);
        foreach (var result in results)
        foreach (var member in result.MemberNames.DefaultIfEmpty(""))
            failures.Add($"{prefix}:{member}: {result.ErrorMessage}");
    }
}
