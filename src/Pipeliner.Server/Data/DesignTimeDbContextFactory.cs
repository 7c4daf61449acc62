using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Pipeliner.Server.Data;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the server.</summary>
public sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<PipelinerDbContext>
{
    public PipelinerDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PipelinerDbContext>().UseSqlite("Data Source=design-time.db").Options);
}
