using System.Text.RegularExpressions;

namespace Pipeliner.Core.Compilation;

/// <summary>The shapes of names a pipeline may use.</summary>
internal static partial class Names
{
    /// <summary>Job, stage, service and environment names: letters, digits, '-', '_', '.'; starting with a letter or digit.</summary>
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$", RegexOptions.CultureInvariant)]
    public static partial Regex Identifier();

    /// <summary>Environment variable names (variables, secrets, matrix axes).</summary>
    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]{0,127}$", RegexOptions.CultureInvariant)]
    public static partial Regex Variable();

    public const string IdentifierRule = "use letters, digits, '-', '_' and '.', starting with a letter or digit (at most 100)";
    public const string VariableRule = "use letters, digits and '_', not starting with a digit";
}
