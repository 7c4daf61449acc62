using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Audit;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Http;

namespace Pipeliner.Server.Auth;

/// <summary>
/// API tokens, for admins: create (the token is shown once, only its hash is kept), list, revoke. Every token belongs
/// to a user. Revoked and expired tokens, and tokens of disabled users, are refused by <see cref="BearerTokenHandler"/>.
/// </summary>
public static class TokenEndpoints
{
    public static void MapTokens(this IEndpointRouteBuilder app)
    {
        var tokens = app.MapGroup("/api/tokens").WithTags("Tokens").WithAuthProblems().RequireAuthorization(Policies.Admin);
        tokens.MapPost("/", CreateAsync).ProducesValidationProblem().WithProblems(StatusCodes.Status415UnsupportedMediaType);
        tokens.MapGet("/", ListAsync);
        tokens.MapDelete("/{id:int}", RevokeAsync).WithProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
    }

    private static async Task<Results<Created<CreatedTokenResponse>, ValidationProblem>> CreateAsync(
        CreateTokenRequest? request, PipelinerDbContext db, AuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var errors = TokenContracts.Validate(request, now);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var name = request!.Name!.Trim();
        var (userName, userField) = request.User is { } named ? (named.Trim(), "user") : (name, "name");
        var user = await db.Users.FirstOrDefaultAsync(u => u.Name == userName, cancellationToken);
        if (user is null && request.User is not null)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["user"] = [$"no user '{userName}': create it with POST /api/users"] });
        if (user is null)
        {
            // The form from before users: the token's name is its user, as it was its identity.
            if (await UserEndpoints.FindAnyCaseAsync(db, userName, cancellationToken) is { } other)
                return TypedResults.ValidationProblem(new Dictionary<string, string[]>
                    { ["name"] = [$"a user named '{other.Name}' exists: pass \"user\": \"{other.Name}\" to give it a token"] });
            user = new UserEntity { Name = userName, Role = request.Role!, CreatedAt = now };
            db.Users.Add(user);
            audit.Add(new AuditEvent("user.create", null, $"user {user.Name}", $"role {user.Role}, with its first token"));
        }
        errors = TokenContracts.ValidateFor(user, request.Role, userField);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var token = TokenHasher.NewToken();
        var entity = new ApiTokenEntity
        {
            Name = name,
            Role = request.Role ?? user.Role,
            User = user,
            TokenHash = TokenHasher.Hash(token),
            Prefix = TokenHasher.Prefix(token),
            CreatedAt = now,
            ExpiresAt = request.ExpiresAt?.ToUniversalTime(),
        };
        db.ApiTokens.Add(entity);
        // Named by its prefix (the id is given only by the save), never by its value.
        audit.Add(new AuditEvent("token.create", null, $"token {entity.Prefix}… ({entity.Name})",
            $"user {user.Name}, role {entity.Role}, {(entity.ExpiresAt is { } expires ? $"expires {expires:O}" : "does not expire")}"));
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (DatabaseErrors.IsUniqueViolation(e))
        {
            // Another request created the user of that name between the check above and this save.
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
                { [userField] = [$"a user named '{userName}' was just created: pass \"user\": \"{userName}\" to give it a token"] });
        }
        return TypedResults.Created($"/api/tokens/{entity.Id}",
            new CreatedTokenResponse(entity.Id, user.Name, entity.Name, entity.Role, entity.Prefix, token, entity.CreatedAt, entity.ExpiresAt));
    }

    private static async Task<Ok<List<TokenResponse>>> ListAsync(PipelinerDbContext db, CancellationToken cancellationToken)
    {
        var tokens = await db.ApiTokens.AsNoTracking().Include(t => t.User).OrderBy(t => t.Id).ToListAsync(cancellationToken);
        return TypedResults.Ok(tokens.Select(t => t.ToResponse(t.User!.Name)).ToList());
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeAsync(
        int id, PipelinerDbContext db, AuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var token = await db.ApiTokens.Include(t => t.User).FirstOrDefaultAsync(t => t.Id == id, cancellationToken);
        if (token is null) return Problems.NotFound($"no token {id}");
        if (token.RevokedAt is not null) return Problems.Conflict($"token {id} was revoked already at {token.RevokedAt:O}");

        var now = time.GetUtcNow();
        var working = TokenAccess.WorkingAdminTokens(db, now);
        if (await working.AnyAsync(t => t.Id == id, cancellationToken) && !await working.AnyAsync(t => t.Id != id, cancellationToken))
            return Problems.Conflict($"token {id} is the last admin token that works: create another admin token before revoking it");

        token.RevokedAt = now;
        audit.Add(new AuditEvent("token.revoke", null, $"token {token.Prefix}… ({token.Name})",
            $"id {token.Id}, user {token.User!.Name}, role {token.Role}"));
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }
}
