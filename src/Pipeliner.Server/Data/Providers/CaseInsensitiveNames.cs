using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Data.Providers;

/// <summary>Comparing names regardless of case, as each database does it best.</summary>
public static class CaseInsensitiveNames
{
    /// <summary>
    /// Users whose name equals <paramref name="name"/> regardless of case: SQLite's <c>NOCASE</c> collation (ASCII
    /// letters), PostgreSQL's <c>ILIKE</c> with the pattern's wildcards escaped (every letter).
    /// </summary>
    public static IQueryable<UserEntity> NamedAnyCase(this DbSet<UserEntity> users, PipelinerDbContext db, string name)
    {
        if (!db.Database.IsNpgsql()) return users.Where(u => EF.Functions.Collate(u.Name, "NOCASE") == name);
        var pattern = name.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_");
        return users.Where(u => EF.Functions.ILike(u.Name, pattern, @"\"));
    }
}
