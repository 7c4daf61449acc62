using System.Collections.Concurrent;
using System.Data.Common;
using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Pipeliner.Server.Data;

/// <summary>
/// An entity's table as the model stores it, read once per model: its name and its stored properties' columns, delimited as
/// the provider delimits them, each with the type mapping (and value converter) EF Core's own commands use. For statements
/// written by hand that take an entity's values and return its rows (<see cref="SqlRows"/>): a new column of the entity is
/// in them without anyone listing it.
/// </summary>
public sealed class ModelTable
{
    private static readonly ConditionalWeakTable<IModel, ConcurrentDictionary<Type, ModelTable>> ByModel = [];

    // Compiled at the first read: most tables are only written.
    private readonly Lazy<Delegate> _read;

    private ModelTable(DbContext db, IEntityType entity)
    {
        var sql = db.GetService<ISqlGenerationHelper>();
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        Name = sql.DelimitIdentifier(table.Name, table.Schema);
        Columns = [.. entity.GetProperties().Select(p => new ModelColumn(p, sql.DelimitIdentifier(p.GetColumnName(table)!), p.GetRelationalTypeMapping()))];
        Inserted = [.. Columns.Where(c => !IsGeneratedKey(c.Property))];
        if (Inserted.FirstOrDefault(c => c.Property.ValueGenerated != ValueGenerated.Never) is { } generated)
            throw new NotSupportedException($"{entity.ClrType.Name}.{generated.Property.Name} has a value the database generates: an insert written by hand would not leave it to the database");
        _read = new Lazy<Delegate>(() => Reader(entity.ClrType, Columns));
    }

    private static bool IsGeneratedKey(IProperty property) => property.IsPrimaryKey() && property.ValueGenerated != ValueGenerated.Never;

    public static ModelTable Of<TEntity>(DbContext db)
    {
        var tables = ByModel.GetValue(db.Model, _ => new ConcurrentDictionary<Type, ModelTable>());
        if (tables.TryGetValue(typeof(TEntity), out var known)) return known;
        var entity = db.Model.FindEntityType(typeof(TEntity)) ?? throw new InvalidOperationException($"{typeof(TEntity).Name} is not in the model");
        return tables.GetOrAdd(typeof(TEntity), new ModelTable(db, entity));
    }

    /// <summary>The table's name, delimited.</summary>
    public string Name { get; }

    /// <summary>Every stored property's column, in the model's order.</summary>
    public IReadOnlyList<ModelColumn> Columns { get; }

    /// <summary>The columns an insert writes: all but a key the database generates.</summary>
    public IReadOnlyList<ModelColumn> Inserted { get; }

    /// <summary>The values of <see cref="Inserted"/> of each entity, row after row: those of <see cref="SqlRowsWriter.InsertInto"/>'s statement.</summary>
    public List<object?> InsertedValues(IReadOnlyCollection<object> entities)
    {
        var values = new List<object?>(Inserted.Count * entities.Count);
        foreach (var entity in entities)
        {
            foreach (var column in Inserted) values.Add(column.ValueOf(entity));
        }

        return values;
    }

    public ModelColumn Column(string property) =>
        Columns.FirstOrDefault(c => c.Property.Name == property) ?? throw new InvalidOperationException($"{Name} has no stored property {property}");

    /// <summary>The columns' names, separated by commas: <see cref="Columns"/> is what <see cref="Read{TEntity}"/> expects, in that order.</summary>
    public static string List(IEnumerable<ModelColumn> columns) => string.Join(", ", columns.Select(c => c.Name));

    /// <summary>The entity of the reader's current row, whose columns are <see cref="Columns"/> in order (not tracked).</summary>
    public TEntity Read<TEntity>(DbDataReader reader) => ((Func<DbDataReader, TEntity>)_read.Value)(reader);

    // reader => new TEntity { P0 = (converted) reader.GetFieldValue<Stored0>(0), P1 = reader.IsDBNull(1) ? null : …, … }, as EF Core reads a row.
    private static Delegate Reader(Type type, IReadOnlyList<ModelColumn> columns)
    {
        var reader = Expression.Parameter(typeof(DbDataReader), "reader");
        var bindings = columns.Select((column, ordinal) =>
        {
            var property = column.Property;
            var stored = column.Mapping.Converter?.ProviderClrType ?? column.Mapping.ClrType;
            var storedType = Nullable.GetUnderlyingType(stored) ?? stored;
            Expression value = Expression.Call(reader, nameof(DbDataReader.GetFieldValue), [storedType], Expression.Constant(ordinal));
            if (column.Mapping.Converter is { } converter)
                value = ReplaceParameter(converter.ConvertFromProviderExpression, Expression.Convert(value, converter.ProviderClrType));
            value = Expression.Convert(value, property.ClrType);
            if (property.IsNullable)
                value = Expression.Condition(Expression.Call(reader, nameof(DbDataReader.IsDBNull), null, Expression.Constant(ordinal)),
                    Expression.Default(property.ClrType), value);
            return (MemberBinding)Expression.Bind(property.PropertyInfo ?? throw new InvalidOperationException($"{property.Name} is a shadow property"), value);
        });
        var body = Expression.MemberInit(Expression.New(type), bindings);
        return Expression.Lambda(typeof(Func<,>).MakeGenericType(typeof(DbDataReader), type), body, reader).Compile();
    }

    private static Expression ReplaceParameter(LambdaExpression lambda, Expression argument) =>
        new ParameterReplacer(lambda.Parameters[0], argument).Visit(lambda.Body);

    private sealed class ParameterReplacer(ParameterExpression parameter, Expression argument) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == parameter ? argument : node;
    }
}

/// <summary>A stored property, its column's delimited name and the mapping its values are written and read with.</summary>
public sealed record ModelColumn(IProperty Property, string Name, RelationalTypeMapping Mapping)
{
    /// <summary>The property's value on <paramref name="entity"/>, as a parameter takes it (the mapping converts it).</summary>
    public object? ValueOf(object entity) => Property.GetGetter().GetClrValueUsingContainingEntity(entity);
}
