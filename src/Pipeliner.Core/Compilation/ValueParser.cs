using System.Globalization;
using Pipeliner.Core.Diagnostics;
using Pipeliner.Core.Model;
using Pipeliner.Core.Syntax;

namespace Pipeliner.Core.Compilation;

/// <summary>Turns located scalars into typed values, reporting each bad one at its own position.</summary>
/// <param name="maximums">The most a job may ask for in <c>resources</c> (the server's ceilings; null: none).</param>
internal sealed class ValueParser(DiagnosticBag diagnostics, ResourceLimits? maximums = null)
{
    private readonly ResourceLimits _maximums = maximums ?? ResourceLimits.None;

    public DiagnosticBag Diagnostics => diagnostics;

    public void Error(SourceLocation location, string message) => diagnostics.Add(location, message);

    public string? Identifier(Scalar? scalar, NodePath path, string what)
    {
        if (scalar is null) return null;
        if (Names.Identifier().IsMatch(scalar.Value)) return scalar.Value;
        Error(scalar.Location, scalar.Value.Length == 0
            ? $"{path}: the {what} name is empty"
            : $"{path}: invalid {what} name '{scalar.Value}': {Names.IdentifierRule}");
        return null;
    }

    public string? VariableName(Scalar scalar, NodePath path)
    {
        if (Names.Variable().IsMatch(scalar.Value)) return scalar.Value;
        Error(scalar.Location, $"{path}: invalid variable name '{scalar.Value}': {Names.VariableRule}");
        return null;
    }

    public string? NonEmpty(Scalar? scalar, NodePath path)
    {
        if (scalar is null) return null;
        if (!scalar.IsNull && scalar.Value.Trim().Length > 0) return scalar.Value;
        Error(scalar.Location, $"{path}: must not be empty");
        return null;
    }

    public TimeSpan? Duration(Scalar? scalar, NodePath path)
    {
        if (scalar is null) return null;
        if (DurationText.TryParse(scalar.Value, out var duration, out var error)) return duration;
        Error(scalar.Location, $"{path}: {error}");
        return null;
    }

    public int? Integer(Scalar? scalar, NodePath path, int min, int max)
    {
        if (scalar is null) return null;
        if (!int.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            Error(scalar.Location, $"{path}: expected a whole number, found '{scalar.Value}'");
            return null;
        }

        if (value >= min && value <= max) return value;
        Error(scalar.Location, value < 0 && min == 0
            ? $"{path}: must not be negative (found {value})"
            : $"{path}: must be between {min} and {max} (found {value})");
        return null;
    }

    public bool? Boolean(Scalar? scalar, NodePath path)
    {
        if (scalar is null) return null;
        if (scalar.Value.Equals("true", StringComparison.OrdinalIgnoreCase)) return true;
        if (scalar.Value.Equals("false", StringComparison.OrdinalIgnoreCase)) return false;
        Error(scalar.Location, $"{path}: expected true or false, found '{scalar.Value}'");
        return null;
    }

    public IReadOnlyList<GlobPattern>? Globs(ScalarList? list, NodePath path)
    {
        if (list is null) return null;
        var globs = new List<GlobPattern>(list.Items.Count);
        foreach (var item in list.Items)
        {
            if (GlobPattern.TryParse(item.Value, out var error) is { } glob) globs.Add(glob);
            else Error(item.Location, $"{path}: {error}");
        }

        return globs;
    }

    public IReadOnlyList<EventKind>? Events(ScalarList? list, NodePath path)
    {
        if (list is null) return null;
        var events = new List<EventKind>();
        foreach (var item in list.Items)
        {
            if (EventKindNames.TryParse(item.Value, out var kind)) events.Add(kind);
            else Error(item.Location, $"{path}: unknown event '{item.Value}'{Text.Suggestions.Hint(item.Value, EventKindNames.Names)}; events are {string.Join(", ", EventKindNames.Names)}");
        }

        return events;
    }

    public Dictionary<string, string> Variables(ScalarMap? map, NodePath path)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        if (map is null) return variables;
        foreach (var (key, value) in map.Entries)
        {
            if (VariableName(key, path) is { } name) variables[name] = value.IsNull ? "" : value.Value;
        }

        return variables;
    }

    public IReadOnlyList<string> Labels(ScalarList? list, NodePath path)
    {
        if (list is null) return [];
        var labels = new List<string>();
        foreach (var item in list.Items)
        {
            if (item.Value.Length > 0 && !item.Value.Any(char.IsWhiteSpace)) labels.Add(item.Value);
            else Error(item.Location, $"{path}: invalid label '{item.Value}': labels are non-empty and without spaces");
        }

        return labels;
    }

    /// <summary>Paths inside the workspace: relative, without '..'.</summary>
    public IReadOnlyList<string> WorkspacePaths(ScalarList? list, NodePath path, SourceLocation owner)
    {
        if (list is null || list.Items.Count == 0)
        {
            Error(list?.Location ?? owner, $"{path}: list at least one path");
            return [];
        }

        var paths = new List<string>();
        foreach (var item in list.Items)
        {
            var value = item.Value.Trim();
            if (value.Length == 0 || value.StartsWith('/') || value.Split('/').Contains(".."))
                Error(item.Location, $"{path}: '{item.Value}' must be a path inside the workspace (relative, without '..')");
            else paths.Add(value);
        }

        return paths;
    }

    /// <summary>Globs of files inside the workspace (relative, no '..'); a key written without any is reported.</summary>
    public IReadOnlyList<string> WorkspaceGlobs(ScalarList? list, NodePath path)
    {
        if (list is null) return [];
        if (list.Items.Count == 0)
        {
            Error(list.Location, $"{path}: list at least one glob, e.g. reports/*.xml");
            return [];
        }

        var globs = new List<string>();
        foreach (var item in list.Items)
        {
            var value = item.Value.Trim();
            if (value.Length == 0 || value.StartsWith('/') || value.Split('/').Contains(".."))
                Error(item.Location, $"{path}: '{item.Value}' must be a glob inside the workspace (relative, without '..')");
            else if (GlobPattern.TryParse(value, out var error) is null)
                Error(item.Location, $"{path}: {error}");
            else globs.Add(value);
        }

        return globs;
    }

    public ResourceLimits Resources(ResourcesSyntax? syntax, NodePath path, ResourceLimits fallback)
    {
        if (syntax is null) return fallback;
        decimal? cpus = fallback.Cpus;
        if (syntax.Cpus is { } cpuText)
        {
            if (decimal.TryParse(cpuText.Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var parsed) && parsed > 0 && parsed <= 256)
                cpus = parsed;
            else
                Error(cpuText.Location, $"{path}.cpus: expected a number of CPUs above 0 and at most 256, e.g. 0.5 or 2; found '{cpuText.Value}'");
        }

        var memory = Size(syntax.Memory, path, "memory", fallback.Memory, 6L << 20, "6Mi (the container engine's minimum)", _maximums.Memory);
        var pids = fallback.Pids;
        if (syntax.Pids is { } pidsText)
        {
            if (!int.TryParse(pidsText.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed < MinimumPids)
                Error(pidsText.Location, $"{path}.pids: expected a whole number of processes, at least {MinimumPids}; found '{pidsText.Value}'");
            else if (_maximums.Pids is { } most && parsed > most)
                Error(pidsText.Location, $"{path}.pids: {parsed} is more than this server allows ({most}, its Pipeliner:Limits:MaxPids)");
            else
                pids = parsed;
        }

        var log = Size(syntax.Log, path, "log", fallback.Log, 1L << 20, "1Mi", _maximums.Log);
        var workspace = Size(syntax.Workspace, path, "workspace", fallback.Workspace, 1L << 20, "1Mi", _maximums.Workspace);
        var artifacts = Size(syntax.Artifacts, path, "artifacts", fallback.Artifacts, 1L << 10, "1Ki", _maximums.Artifacts);
        return new ResourceLimits(cpus, memory, pids, log, workspace, artifacts);
    }

    /// <summary>A job may run this few processes at least: its shell and a command.</summary>
    public const int MinimumPids = 8;

    private ByteSize? Size(Scalar? scalar, NodePath path, string key, ByteSize? fallback, long least, string leastText, ByteSize? most)
    {
        if (scalar is null) return fallback;
        if (!ByteSize.TryParse(scalar.Value, out var size, out var error))
            Error(scalar.Location, $"{path}.{key}: {error}");
        else if (size.Bytes < least)
            Error(scalar.Location, $"{path}.{key}: at least {leastText}, found '{scalar.Value}'");
        else if (most is { } ceiling && size.Bytes > ceiling.Bytes)
            Error(scalar.Location, $"{path}.{key}: {scalar.Value} is more than this server allows ({ceiling}, its Pipeliner:Limits:Max{char.ToUpperInvariant(key[0])}{key[1..]})");
        else
            return size;
        return fallback;
    }
}
