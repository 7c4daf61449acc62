namespace Pipeliner.Core.Diagnostics;

/// <summary>Collects every problem of one file so that all of them are reported at once.</summary>
public sealed class DiagnosticBag
{
    private readonly List<Diagnostic> _items = [];

    public bool HasErrors => _items.Count > 0;

    public void Add(SourceLocation location, string message) => _items.Add(new Diagnostic(location, message));

    /// <summary>The problems in file order; the same problem reported twice at one place appears once.</summary>
    public IReadOnlyList<Diagnostic> ToSortedList() =>
        _items.Distinct().OrderBy(d => d.Location).ToList();
}
