using System.Security.Claims;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Audit;

/// <summary>What an audited change is: its action name, the project (if any), the target and details in words.</summary>
public sealed record AuditEvent(string Action, string? Project, string Target, string? Details = null);

/// <summary>
/// Writes the append-only audit log. <see cref="Add"/> stages the entry in the request's unit of work, so that it is
/// saved with the change it describes (or not at all); <see cref="RecordAsync"/> saves it on its own, for changes
/// made elsewhere (the run coordinator saves in its own scope).
/// </summary>
public sealed class AuditTrail(PipelinerDbContext db, IHttpContextAccessor http, TimeProvider time)
{
    public const string System = "system";

    /// <param name="actor">Who did it, when the request is not (yet) signed in as them: a sign-in names the user it signs in.</param>
    public void Add(AuditEvent change, string? actor = null)
    {
        var context = http.HttpContext;
        db.AuditEntries.Add(new AuditEntryEntity
        {
            At = time.GetUtcNow(),
            Actor = actor ?? (context is null ? System : ActorOf(context.User)),
            Address = context?.Connection.RemoteIpAddress?.ToString(),
            Action = change.Action,
            Project = change.Project,
            Target = change.Target,
            Details = change.Details,
        });
    }

    public async Task RecordAsync(AuditEvent change, CancellationToken cancellationToken)
    {
        Add(change);
        await db.SaveChangesAsync(cancellationToken);
    }

    public static string ActorOf(ClaimsPrincipal user) =>
        user.Identity is { IsAuthenticated: true, Name: { Length: > 0 } name } ? name : "anonymous";
}
