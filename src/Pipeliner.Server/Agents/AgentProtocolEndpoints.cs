using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Pipeliner.Agent.Contracts;
using Pipeliner.Core.Runs;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Http;
using Pipeliner.Server.Logs;
using Pipeliner.Server.ProjectSecrets;
using Pipeliner.Server.Runs;

using Pipeliner.Server.Logs.Store;

namespace Pipeliner.Server.Agents;

/// <summary>
/// The agent protocol over HTTP (<see cref="AgentRoutes"/>): registration, hello, long-poll claims, heartbeats, logs by
/// offset and done. Only an agent credential reaches these (checked here, not by the user schemes: a user's token is no
/// agent's credential, and an agent's credential is no user's token). Each call ends in <see cref="AgentDispatch"/>.
/// </summary>
public static class AgentProtocolEndpoints
{
    private const string AgentItem = "pipeliner:agent";
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(30);

    public static void MapAgentProtocol(this IEndpointRouteBuilder app)
    {
        var open = app.MapGroup(AgentRoutes.Prefix).WithTags("Agent protocol").ChecksItsOwnCredentials();
        open.MapPost("/register", RegisterAsync).ProducesValidationProblem()
            .WithProblems(StatusCodes.Status401Unauthorized, StatusCodes.Status409Conflict);
        app.MapAgentTransfers(open);

        var agent = app.MapGroup(AgentRoutes.Prefix).WithTags("Agent protocol").ChecksItsOwnCredentials()
            .AddEndpointFilter(AuthenticateAgentAsync).ProducesProblem(StatusCodes.Status401Unauthorized);
        agent.MapPost("/hello", HelloAsync);
        agent.MapPost("/jobs/next", NextAsync);
        agent.MapPost("/attempts/{id:long}/heartbeat", HeartbeatAsync).WithProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        agent.MapGet("/attempts/{id:long}/log", LogPositionAsync).WithProblems(StatusCodes.Status404NotFound);
        agent.MapPost("/attempts/{id:long}/log", AppendLogAsync)
            .WithProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge);
        agent.MapPost("/attempts/{id:long}/done", AgentDoneEndpoint.DoneAsync).Produces<DoneAnswer>()
            .WithProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity);
    }

    public static AgentEntity Agent(this HttpContext http) => (AgentEntity)http.Items[AgentItem]!;

    private static async ValueTask<object?> AuthenticateAgentAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var header = http.Request.Headers.Authorization.ToString();
        var credential = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : "";
        var directory = http.RequestServices.GetRequiredService<AgentDirectory>();
        if (credential.Length == 0 || await directory.AuthenticateAsync(credential, http.RequestAborted) is not { } agent)
            return Problems.Unauthorized("agent endpoints need an agent's credential (Authorization: Bearer pla_…), from registering with a registration token");
        http.Items[AgentItem] = agent;
        return await next(context);
    }

    private static async Task<Results<Created<RegisterAgentResponse>, ValidationProblem, ProblemHttpResult>> RegisterAsync(
        RegisterAgentRequest? request, HttpContext http, AgentDirectory directory, CancellationToken cancellationToken)
    {
        var header = http.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : "";
        if (!token.StartsWith(AgentCredentials.RegistrationPrefix, StringComparison.Ordinal))
            return Problems.Unauthorized("registering needs an agent registration token (Authorization: Bearer plg_…) from POST /api/agents/tokens");
        var errors = AgentRequests.Validate(request?.Name, request?.Labels, request?.Capacity);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        try
        {
            var credential = await directory.RegisterAsync(token, request! with { Version = request.Version ?? "" }, cancellationToken);
            return credential is null
                ? Problems.Unauthorized("unknown or revoked agent registration token")
                : TypedResults.Created($"/api/agents/{Uri.EscapeDataString(request.Name)}", new RegisterAgentResponse(request.Name, credential));
        }
        catch (AgentConflictException e)
        {
            return Problems.Conflict(e.Message);
        }
    }

    private static async Task<Results<Ok<AgentWelcome>, ValidationProblem>> HelloAsync(
        AgentHello? hello, HttpContext http, AgentDirectory directory, AgentDispatch dispatch, CancellationToken cancellationToken)
    {
        var agent = http.Agent();
        var errors = AgentRequests.Validate(agent.Name, hello?.Labels, hello?.Capacity);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var abandoned = await directory.HelloAsync(agent, hello! with { Version = hello.Version ?? "" }, cancellationToken);
        return TypedResults.Ok(new AgentWelcome(agent.Name, (int)Math.Ceiling(dispatch.Lease.TotalSeconds), abandoned));
    }

    private static async Task<IResult> NextAsync(
        double? wait, HttpContext http, AgentDispatch dispatch, SourceArchives sources, CancellationToken cancellationToken)
    {
        var seconds = TimeSpan.FromSeconds(Math.Clamp(wait ?? MaxWait.TotalSeconds, 0, MaxWait.TotalSeconds));
        // The credential check has just written the agent's last-seen time, or found it recent.
        var agent = http.Agent();
        var claimed = await dispatch.NextAsync(agent.Name, seconds, cancellationToken, agent.LastSeenAt);
        return claimed is null ? TypedResults.NoContent() : TypedResults.Json(WithSource(claimed.Assignment, sources), AgentJson.Options);
    }

    /// <summary>An assignment as it goes over HTTP: with the commit's tree when the server holds it and it is small, so that
    /// the agent's slot needs no <c>source.tar</c> call (a larger or unfinished tar is downloaded as before).</summary>
    public static AgentAssignment WithSource(AgentAssignment assignment, SourceArchives sources) =>
        sources.ReadIfSmall(assignment.Project, assignment.CommitSha, AgentRoutes.MaxInlineSourceBytes) is { } tar
            ? assignment with { SourceTar = tar }
            : assignment;

    private static async Task<Results<Ok<HeartbeatAnswer>, ProblemHttpResult>> HeartbeatAsync(
        long id, HttpContext http, PipelinerDbContext db, CurrentAttemptRows current, AgentDispatch dispatch, CancellationToken cancellationToken)
    {
        var (row, problem) = await AttemptAccess.OfAgentAsync(db, current, http.Agent(), id, cancellationToken);
        if (row is null) return problem!;
        if (row.StoppingAfterCancel) return TypedResults.Ok(new HeartbeatAnswer(true, DateTimeOffset.MinValue));
        if (!row.Current) return row.Stale();
        var until = await dispatch.ExtendLeaseAsync(row.Key, cancellationToken);
        return TypedResults.Ok(new HeartbeatAnswer(until is null, until ?? DateTimeOffset.MinValue));
    }

    private static async Task<Results<Ok<LogPosition>, ProblemHttpResult>> LogPositionAsync(
        long id, HttpContext http, PipelinerDbContext db, CurrentAttemptRows current, ILogStore logs, CancellationToken cancellationToken)
    {
        var (row, problem) = await AttemptAccess.OfAgentAsync(db, current, http.Agent(), id, cancellationToken);
        if (row is null) return problem!;
        return TypedResults.Ok(new LogPosition(await logs.LengthAsync(row.Log, cancellationToken)));
    }

    /// <summary>
    /// Appends whole lines at <c>offset</c>. The wrong offset stores nothing and answers 416 with where the server has got to
    /// (the agent resends from there), so a batch resent after a network error is never stored twice.
    /// </summary>
    private static async Task<IResult> AppendLogAsync(
        long id, long? offset, HttpContext http, PipelinerDbContext db, CurrentAttemptRows current, ILogStore logs, IRunEvents events,
        LogMasking masking, CancellationToken cancellationToken)
    {
        var (row, problem) = await AttemptAccess.OfAgentAsync(db, current, http.Agent(), id, cancellationToken);
        if (row is null) return problem!;
        if (!row.Current && !row.StoppingAfterCancel) return row.Stale();
        if (offset is not >= 0) return Problems.BadRequest("offset: the byte offset of the batch in the attempt's log (0 or more), as a query parameter");
        if (http.Request.ContentLength is > AgentRoutes.MaxLogBatchBytes)
            return Problems.Problem(StatusCodes.Status413PayloadTooLarge, "Payload too large", $"a log batch carries at most {AgentRoutes.MaxLogBatchBytes} bytes");
        var body = await BoundedBody.ReadAsync(http.Request.Body, AgentRoutes.MaxLogBatchBytes, cancellationToken);
        if (body is null)
            return Problems.Problem(StatusCodes.Status413PayloadTooLarge, "Payload too large", $"a log batch carries at most {AgentRoutes.MaxLogBatchBytes} bytes");
        if (body.Length > 0 && body[^1] != (byte)'\n') return Problems.BadRequest("a log batch ends at the end of a line (a line feed)");

        var result = await AppendLinesAsync(row, offset.Value, body, logs, events, masking, cancellationToken);
        return result.Accepted
            ? TypedResults.Ok(new LogPosition(result.Length))
            : TypedResults.Json(new LogPosition(result.Length), statusCode: StatusCodes.Status416RangeNotSatisfiable);
    }

    /// <summary>Whole lines stored at <paramref name="offset"/> (masked) and shown to those watching, or nothing at another offset.</summary>
    public static async Task<LogAppendResult> AppendLinesAsync(
        AttemptRow row, long offset, ReadOnlyMemory<byte> lines, ILogStore logs, IRunEvents events, LogMasking masking, CancellationToken cancellationToken)
    {
        var masker = await masking.ForRunAsync(row.RunId, cancellationToken);
        var result = await logs.AppendAsync(row.Log, offset, lines, masker, cancellationToken);
        if (result.Accepted) await LiveLog.PublishAsync(events, masking, row.Key, result.Lines, cancellationToken);
        return result;
    }
}

/// <summary>Checks of what agents send about themselves.</summary>
public static class AgentRequests
{
    public static Dictionary<string, string[]> Validate(string? name, IReadOnlyList<string>? labels, int? capacity)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(name) || name.Length > 100 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '@'))
            errors["name"] = ["1 to 100 letters, digits, '-', '_', '.' or '@'"];
        if (labels is null || labels.Count > 50 || labels.Any(l => string.IsNullOrWhiteSpace(l) || l.Length > 50 || l.Contains(',', StringComparison.Ordinal)))
            errors["labels"] = ["a list of up to 50 labels, each 1 to 50 characters without commas"];
        if (capacity is not (>= 1 and <= 256)) errors["capacity"] = ["the jobs the agent runs at once, 1 to 256"];
        return errors;
    }
}
