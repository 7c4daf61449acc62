using Pipeliner.Core.Diagnostics;

namespace Pipeliner.Core.Syntax;

/// <summary>A YAML scalar as written, with where it was written. Typing happens in the compiler.</summary>
public sealed record Scalar(string Value, SourceLocation Location, bool IsNull = false);

/// <summary>A list of scalars; a single scalar written in its place becomes a one-item list.</summary>
public sealed record ScalarList(IReadOnlyList<Scalar> Items, SourceLocation Location);

/// <summary>A mapping of scalar keys to scalar values, in file order.</summary>
public sealed record ScalarMap(IReadOnlyList<ScalarEntry> Entries, SourceLocation Location);

public sealed record ScalarEntry(Scalar Key, Scalar Value);
