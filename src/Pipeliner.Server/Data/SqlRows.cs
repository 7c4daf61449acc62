using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Pipeliner.Server.Data;

/// <summary>
/// A statement on a hot path (a conditional <c>UPDATE</c>, <c>UPDATE … RETURNING</c>, <c>INSERT … RETURNING</c>), written once per model
/// (<see cref="SqlRowsPerModel"/>) and built as the command EF Core itself runs: on the context's connection and in its
/// transaction, through the same interceptors (<c>SqliteWriteGate</c>, the connection settings) and logging, each value a
/// parameter typed by its model column (the column's converter applied, times stored as UTC ticks). It skips what made such
/// statements costly through EF Core: <c>FromSql</c> and <c>SqlQuery</c> go through the LINQ pipeline at every call
/// (funcletized, looked up in the query cache), <c>ExecuteUpdate</c> likewise and EF Core 10 cannot compile it, <c>SaveChanges</c> through the change tracker (graph fix-up, the batch's
/// sort, generated values propagated).
/// </summary>
public sealed class SqlRows
{
    private readonly IRelationalCommandTemplate _template;
    private readonly string[] _parameters;

    private SqlRows(IRelationalCommandTemplate template, string[] parameters)
    {
        _template = template;
        _parameters = parameters;
    }

    /// <summary>The statement <paramref name="write"/> returns, with the parameters it asked <see cref="SqlRowsWriter"/> for.</summary>
    public static SqlRows Write(DbContext db, Func<SqlRowsWriter, string> write)
    {
        var writer = new SqlRowsWriter(db);
        var text = write(writer);
        return new SqlRows(writer.Build(text), writer.ParameterNames);
    }

    /// <summary>Runs the statement; its parameters take <paramref name="values"/> in the order they were asked for.</summary>
    public Task<RelationalDataReader> ExecuteReaderAsync(DbContext db, IReadOnlyList<object?> values, CancellationToken cancellationToken)
    {
        // Not given back to the connection: the reader, which the command keeps, lives on with the caller.
        var (command, parameters) = Rent(db, values);
        return command.ExecuteReaderAsync(parameters, cancellationToken);
    }

    /// <summary>Runs a statement that returns no rows: the count of rows it wrote.</summary>
    public async Task<int> ExecuteNonQueryAsync(DbContext db, IReadOnlyList<object?> values, CancellationToken cancellationToken)
    {
        var (command, parameters) = Rent(db, values);
        var written = await command.ExecuteNonQueryAsync(parameters, cancellationToken);
        parameters.Connection.ReturnCommand(command);
        return written;
    }

    /// <summary>Runs a statement that returns one value (an insert's generated key).</summary>
    public async Task<object?> ExecuteScalarAsync(DbContext db, IReadOnlyList<object?> values, CancellationToken cancellationToken)
    {
        var (command, parameters) = Rent(db, values);
        var value = await command.ExecuteScalarAsync(parameters, cancellationToken);
        parameters.Connection.ReturnCommand(command);
        return value;
    }

    /// <summary>
    /// The statement as a command of the context's connection: a command keeps the reader of its last execution, so the one
    /// written once per model is only a template, never run itself (contexts run it at the same time: their reads would mix).
    /// </summary>
    private (IRelationalCommand Command, RelationalCommandParameterObject Parameters) Rent(DbContext db, IReadOnlyList<object?> values)
    {
        if (values.Count != _parameters.Length)
            throw new ArgumentException($"the statement has {_parameters.Length} parameters, {values.Count} values were given", nameof(values));
        var byName = new Dictionary<string, object?>(_parameters.Length, StringComparer.Ordinal);
        for (var i = 0; i < _parameters.Length; i++) byName[_parameters[i]] = values[i];
        var connection = db.GetService<IRelationalConnection>();
        var command = connection.RentCommand();
        command.PopulateFrom(_template);
        return (command, new RelationalCommandParameterObject(
            connection, byName, null, db, db.GetService<IRelationalCommandDiagnosticsLogger>(), CommandSource.ExecuteSqlRaw));
    }
}

/// <summary>Writes a <see cref="SqlRows"/> statement: the model's tables, and a typed parameter for each value.</summary>
public sealed class SqlRowsWriter(DbContext db)
{
    private readonly ISqlGenerationHelper _sql = db.GetService<ISqlGenerationHelper>();
    private readonly IRelationalCommandBuilder _builder = db.GetService<IRelationalCommandBuilderFactory>().Create();
    private readonly List<string> _names = [];

    internal string[] ParameterNames => [.. _names];

    public ModelTable Table<TEntity>() => ModelTable.Of<TEntity>(db);

    public ModelTable Table(IEntityType entity) => ModelTable.Of(db, entity);

    /// <summary>A parameter for a value of <paramref name="column"/>, written and converted as EF Core writes that column.</summary>
    public string Parameter(ModelColumn column)
    {
        var name = "p" + _names.Count;
        _names.Add(name);
        _builder.AddParameter(name, _sql.GenerateParameterName(name), column.Mapping, column.Property.IsNullable);
        return _sql.GenerateParameterNamePlaceholder(name);
    }

    /// <summary>
    /// <c>INSERT INTO table (columns) VALUES (…), (…)</c> for <paramref name="rows"/> rows of <see cref="ModelTable.Inserted"/>:
    /// its values are those of <see cref="ModelTable.InsertedValues"/>, row after row.
    /// </summary>
    public string InsertInto(ModelTable table, int rows)
    {
        table.EnsureInsertable();
        var text = new StringBuilder($"INSERT INTO {table.Name} ({ModelTable.List(table.Inserted)}) VALUES ");
        for (var row = 0; row < rows; row++)
        {
            if (row > 0) text.Append(", ");
            text.Append('(').AppendJoin(", ", table.Inserted.Select(Parameter)).Append(')');
        }

        return text.ToString();
    }

    internal IRelationalCommand Build(string text) => _builder.Append(text).Build();
}

/// <summary>
/// A <see cref="SqlRows"/> statement written once per model (one process may hold several: SQLite's and PostgreSQL's, as the
/// tests run both), and per size where its text depends on one (the rows of a multi-row insert).
/// </summary>
public sealed class SqlRowsPerModel(Func<SqlRowsWriter, int, string> write)
{
    private readonly ConditionalWeakTable<IModel, ConcurrentDictionary<int, SqlRows>> _byModel = [];

    public SqlRowsPerModel(Func<SqlRowsWriter, string> write) : this((writer, _) => write(writer))
    {
    }

    public SqlRows For(DbContext db, int size = 1)
    {
        var bySize = _byModel.GetValue(db.Model, _ => new ConcurrentDictionary<int, SqlRows>());
        if (bySize.TryGetValue(size, out var known)) return known;
        // Two first calls at once write it twice; either is the same statement.
        return bySize.GetOrAdd(size, SqlRows.Write(db, writer => write(writer, size)));
    }
}
