using Pipeliner.Core.Diagnostics;
using Pipeliner.Core.Syntax.Yaml;
using Pipeliner.Core.Text;

namespace Pipeliner.Core.Syntax;

/// <summary>
/// Shape checks shared by every part of the reader: expected kinds of node, unknown keys with
/// suggestions, merge keys (<c>&lt;&lt;: *anchor</c>). Messages start with the dotted path of the key.
/// </summary>
internal sealed class NodeReader(DiagnosticBag diagnostics)
{
    private const string MergeKey = "<<";

    public DiagnosticBag Diagnostics => diagnostics;

    /// <summary>The entries of a mapping (merge keys applied), reporting keys not in <paramref name="knownKeys"/>.</summary>
    /// <param name="into">The syntax object being read, told which keys were written.</param>
    /// <remarks>Indexed loops and concrete lists here: the reader calls this for every mapping of the file.</remarks>
    public List<YamlEntry> Entries(YamlNode node, NodePath path, IReadOnlyCollection<string> knownKeys, MappingSyntax? into = null)
    {
        var entries = MergedEntries(node, path, into);
        var known = new List<YamlEntry>(entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (knownKeys.Contains(entry.Key.Value))
            {
                known.Add(entry);
                continue;
            }

            var suggestion = Suggestions.Closest(entry.Key.Value, knownKeys);
            diagnostics.Add(entry.Key.Location,
                $"{path}: unknown key '{entry.Key.Value}'{(suggestion is null ? "" : $" (did you mean '{suggestion}'?)")}");
            // A misspelt required key is reported here, with the hint, and not a second time as missing.
            if (suggestion is not null) into?.WrittenKeys.Add(suggestion);
        }

        return known;
    }

    /// <summary>The entries of a mapping whose keys are free (job ids, variable names), merge keys applied.</summary>
    /// <param name="into">The syntax object being read, told which keys were written.</param>
    public IReadOnlyList<YamlEntry> MergedEntries(YamlNode node, NodePath path, MappingSyntax? into = null)
    {
        if (node is not YamlMapping mapping)
        {
            if (!IsNull(node))
            {
                ReportKind(node, path, "a mapping");
                into?.IsMalformed = true;
            }

            return [];
        }

        var entries = Merge(mapping, path);
        if (into is not null)
        {
            for (var i = 0; i < entries.Count; i++) into.WrittenKeys.Add(entries[i].Key.Value);
        }

        return entries;
    }

    private IReadOnlyList<YamlEntry> Merge(YamlMapping mapping, NodePath path)
    {
        if (!HasMergeKey(mapping)) return mapping.Entries;

        var own = mapping.Entries.Where(e => e.Key.Value != MergeKey).ToList();
        var present = own.Select(e => e.Key.Value).ToHashSet(StringComparer.Ordinal);
        foreach (var merge in mapping.Entries.Where(e => e.Key.Value == MergeKey))
        {
            var sources = merge.Value is YamlSequence sequence ? sequence.Items : [merge.Value];
            foreach (var source in sources)
            {
                if (source is not YamlMapping sourceMapping)
                {
                    diagnostics.Add(merge.Key.Location, $"{path}: '<<' merges a mapping (an alias such as *defaults), not {source.KindName}");
                    continue;
                }

                own.AddRange(sourceMapping.Entries.Where(e => present.Add(e.Key.Value)));
            }
        }

        return own;
    }

    private static bool HasMergeKey(YamlMapping mapping)
    {
        for (var i = 0; i < mapping.Entries.Count; i++)
        {
            if (mapping.Entries[i].Key.Value == MergeKey) return true;
        }

        return false;
    }

    public Scalar? Scalar(YamlNode node, NodePath path)
    {
        if (node is YamlScalar scalar) return new Scalar(scalar.Value, scalar.Location, scalar.IsNull);
        ReportKind(node, path, "a single value");
        return null;
    }

    /// <summary>
    /// A list of values; a single value is accepted as a list of one, nothing as an empty list. A list with an item
    /// that is not a value is reported and read as absent, so that it is not reported again as empty or incomplete.
    /// </summary>
    public ScalarList? List(YamlNode node, NodePath path)
    {
        switch (node)
        {
            case YamlScalar { IsNull: true } empty:
                return new ScalarList([], empty.Location);
            case YamlScalar scalar:
                return new ScalarList([new Scalar(scalar.Value, scalar.Location)], scalar.Location);
            case YamlSequence sequence:
                var items = new List<Scalar>(sequence.Items.Count);
                for (var i = 0; i < sequence.Items.Count; i++)
                {
                    // Checked here so that an item's path is only put together for a message.
                    if (sequence.Items[i] is YamlScalar item) items.Add(new Scalar(item.Value, item.Location, item.IsNull));
                    else ReportKind(sequence.Items[i], $"{path}[{i}]", "a single value");
                }

                return items.Count == sequence.Items.Count ? new ScalarList(items, sequence.Location) : null;
            default:
                ReportKind(node, path, "a list of values");
                return null;
        }
    }

    /// <summary>A mapping of names to single values (variables, env).</summary>
    public ScalarMap? Map(YamlNode node, NodePath path)
    {
        if (node is not YamlMapping && !IsNull(node))
        {
            ReportKind(node, path, "a mapping of names to values");
            return null;
        }

        var merged = MergedEntries(node, path);
        var entries = new List<ScalarEntry>(merged.Count);
        for (var i = 0; i < merged.Count; i++)
        {
            var entry = merged[i];
            if (entry.Value is YamlScalar value)
                entries.Add(new ScalarEntry(new Scalar(entry.Key.Value, entry.Key.Location), new Scalar(value.Value, value.Location, value.IsNull)));
            else
                ReportKind(entry.Value, path.Child(entry.Key.Value), "a single value");
        }

        return new ScalarMap(entries, node.Location);
    }

    public bool IsNull(YamlNode node) => node is YamlScalar { IsNull: true };

    public void ReportKind(YamlNode node, NodePath path, string expected) =>
        diagnostics.Add(node.Location, $"{path}: expected {expected}, found {node.KindName}");
}
