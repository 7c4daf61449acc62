namespace Pipeliner.Core.Diagnostics;

/// <summary>A 1-based line and column in the pipeline file.</summary>
public readonly record struct SourceLocation(int Line, int Column) : IComparable<SourceLocation>
{
    public static readonly SourceLocation Start = new(1, 1);

    public int CompareTo(SourceLocation other) =>
        Line != other.Line ? Line.CompareTo(other.Line) : Column.CompareTo(other.Column);

    public override string ToString() => $"{Line}:{Column}";
}
