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
        Check($"{PipelinerOptions.Section}:Agent", options.Agent, failures);
        Check($"{PipelinerOptions.Section}:Auth", options.Auth, failures);
        Check($"{PipelinerOptions.Section}:ForgeStatuses", options.ForgeStatuses, failures);
        Check($"{PipelinerOptions.Section}:Projects", options.Projects, failures);
        if (CronSchedule.TryParse(options.ForgeStatuses.ResendSchedule, out var error) is null)
            failures.Add($"{PipelinerOptions.Section}:ForgeStatuses:ResendSchedule: {error}");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
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
