using Microsoft.EntityFrameworkCore;

namespace Pipeliner.Server.Data;

/// <summary>
/// The same model on PostgreSQL. A type of its own only so that EF Core keeps its migrations apart from SQLite's
/// (<c>Data/Migrations/Postgres</c>, found by their <c>[DbContext]</c> attribute); code asks for <see cref="PipelinerDbContext"/>.
/// </summary>
public sealed class PostgresPipelinerDbContext(DbContextOptions<PostgresPipelinerDbContext> options) : PipelinerDbContext(options);
