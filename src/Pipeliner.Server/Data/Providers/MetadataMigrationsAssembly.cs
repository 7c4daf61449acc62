using System.Reflection;
using System.Reflection.Metadata;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Internal;

namespace Pipeliner.Server.Data.Providers;

#pragma warning disable EF1001 // MigrationsAssembly is EF Core's internal API; its constructor and the two overridden members are what it replaces.

/// <summary>
/// EF Core's migrations assembly (<see cref="MigrationsAssembly"/>), except for how it finds the migrations and the model
/// snapshot. EF Core's own search goes through <c>Assembly.DefinedTypes</c>: the runtime then loads every type of the
/// server (each closure, async state machine, and type naming Npgsql) at the first migration: ~1,000 of its 1,580 types
/// that an idle server would not have loaded, ~2,900 type loads with what they instantiate, whose type data stay in the
/// process for good (docs/performance.md, "Memory, 2026-12-05 late morning"). This one reads the
/// assembly's metadata for the type definitions carrying <see cref="DbContextAttribute"/> or <see cref="MigrationAttribute"/>
/// — every migration and snapshot <c>dotnet ef</c> writes carries both — loads only those, and applies EF Core's own tests
/// to them (a <see cref="Migration"/> or <see cref="ModelSnapshot"/> of this context, by the first <c>[DbContext]</c> up
/// its base types). A migration inheriting both attributes from a base class without carrying either would be missed.
/// </summary>
public sealed class MetadataMigrationsAssembly(
    ICurrentDbContext currentContext,
    IDbContextOptions options,
    IMigrationsIdGenerator idGenerator,
    IDiagnosticsLogger<DbLoggerCategory.Migrations> logger) : MigrationsAssembly(currentContext, options, idGenerator, logger)
{
    private readonly Type _contextType = currentContext.Context.GetType();
    private IReadOnlyList<Type>? _candidates;
    private IReadOnlyDictionary<string, TypeInfo>? _migrations;
    private ModelSnapshot? _modelSnapshot;

    public override IReadOnlyDictionary<string, TypeInfo> Migrations => _migrations ??= FindMigrations();

    public override ModelSnapshot? ModelSnapshot => _modelSnapshot ??= FindModelSnapshot();

    private IReadOnlyList<Type> Candidates => _candidates ??= TypesCarryingMigrationAttributes(Assembly);

    private SortedList<string, TypeInfo> FindMigrations()
    {
        // As EF Core's: sorted by id with the same comparer, and a migration without an id is left out (EF logs it; ours all have one).
        var migrations = new SortedList<string, TypeInfo>();
        foreach (var type in Candidates)
        {
            if (!type.IsSubclassOf(typeof(Migration)) || ContextOf(type) != _contextType) continue;
            var id = type.GetCustomAttribute<MigrationAttribute>()?.Id;
            if (id != null) migrations.Add(id, type.GetTypeInfo());
        }

        return migrations;
    }

    private ModelSnapshot? FindModelSnapshot()
    {
        var type = Candidates.FirstOrDefault(t => t.IsSubclassOf(typeof(ModelSnapshot)) && ContextOf(t) == _contextType);
        return type == null ? null : (ModelSnapshot)Activator.CreateInstance(type)!;
    }

    /// <summary>The context a migration or snapshot belongs to: the first <c>[DbContext]</c> up its base types, as EF Core reads it.</summary>
    private static Type? ContextOf(Type type)
    {
        for (var current = type; current != null && current != typeof(object); current = current.BaseType)
        {
            var attribute = current.GetCustomAttribute<DbContextAttribute>(inherit: false);
            if (attribute != null) return attribute.ContextType;
        }

        return null;
    }

    /// <summary>
    /// The constructible types (neither abstract nor generic definitions, as EF Core's <c>GetConstructibleTypes</c>) of
    /// <paramref name="assembly"/> that carry <c>[DbContext]</c> or <c>[Migration]</c>, found in its metadata: only these are loaded.
    /// </summary>
    public static IReadOnlyList<Type> TypesCarryingMigrationAttributes(Assembly assembly)
    {
        var reader = MetadataOf(assembly);
        if (reader == null) return assembly.DefinedTypes.Where(t => !t.IsAbstract && !t.IsGenericTypeDefinition).Select(t => t.AsType()).ToList();

        var types = new List<Type>();
        foreach (var handle in reader.TypeDefinitions)
        {
            var definition = reader.GetTypeDefinition(handle);
            if (!CarriesMigrationAttribute(reader, definition)) continue;
            var type = assembly.GetType(FullName(reader, definition), throwOnError: true)!;
            if (!type.IsAbstract && !type.IsGenericTypeDefinition) types.Add(type);
        }

        return types;
    }

    /// <summary>The metadata the runtime already has mapped for the loaded assembly (no file is read), or null where there is none (e.g. a dynamic assembly).</summary>
    private static unsafe MetadataReader? MetadataOf(Assembly assembly) =>
        assembly.TryGetRawMetadata(out var blob, out var length) ? new MetadataReader(blob, length) : null;

    private static bool CarriesMigrationAttribute(MetadataReader reader, TypeDefinition definition)
    {
        foreach (var handle in definition.GetCustomAttributes())
        {
            var constructor = reader.GetCustomAttribute(handle).Constructor;
            if (constructor.Kind != HandleKind.MemberReference) continue; // EF Core's attributes are defined in another assembly
            var parent = reader.GetMemberReference((MemberReferenceHandle)constructor).Parent;
            if (parent.Kind != HandleKind.TypeReference) continue;
            var attributeType = reader.GetTypeReference((TypeReferenceHandle)parent);
            if (reader.StringComparer.Equals(attributeType.Namespace, typeof(DbContextAttribute).Namespace!)
                && reader.StringComparer.Equals(attributeType.Name, nameof(DbContextAttribute))) return true;
            if (reader.StringComparer.Equals(attributeType.Namespace, typeof(MigrationAttribute).Namespace!)
                && reader.StringComparer.Equals(attributeType.Name, nameof(MigrationAttribute))) return true;
        }

        return false;
    }

    /// <summary>The name <see cref="Assembly.GetType(string)"/> takes: <c>Namespace.Outer+Nested</c>.</summary>
    private static string FullName(MetadataReader reader, TypeDefinition definition)
    {
        var name = reader.GetString(definition.Name);
        var declaring = definition.GetDeclaringType();
        if (!declaring.IsNil) return FullName(reader, reader.GetTypeDefinition(declaring)) + "+" + name;
        var ns = reader.GetString(definition.Namespace);
        return ns.Length == 0 ? name : ns + "." + name;
    }
}
