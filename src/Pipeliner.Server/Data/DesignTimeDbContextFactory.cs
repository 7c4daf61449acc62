using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Pipeliner.Server.Data.Providers;

namespace Pipeliner.Server.Data;

/// <summary>Lets <c>dotnet ef migrations add</c> build the SQLite model without starting the server.</summary>
public sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<PipelinerDbContext>
{
    public PipelinerDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PipelinerDbContext>().UseSqlite("Data Source=design-time.db").Options);
}

/// <summary>
/// The PostgreSQL model for <c>dotnet ef migrations add … --context PostgresPipelinerDbContext</c>. Adding a migration
/// connects to nothing; <c>dotnet ef database update</c> would use <c>PIPELINER_DESIGN_POSTGRES</c>.
/// </summary>
public sealed class PostgresDesignTimeDbContextFactory : IDesignTimeDbContextFactory<PostgresPipelinerDbContext>
{
    public PostgresPipelinerDbContext CreateDbContext(string[] args)
    {
        var builder = new DbContextOptionsBuilder<PostgresPipelinerDbContext>();
        PostgresDatabase.Configure(builder,
            Environment.GetEnvironmentVariable("PIPELINER_DESIGN_POSTGRES") ?? "Host=127.0.0.1;Database=pipeliner_design;Username=postgres");
        return new PostgresPipelinerDbContext(builder.Options);
    }
}
