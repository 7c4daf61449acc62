using System.Linq.Expressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;
using Pipeliner.Agent.Contracts;
using Pipeliner.Core.Runs;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Http;
using Pipeliner.Server.Logs;

using Pipeliner.Server.Logs.Store;

namespace Pipeliner.Server.Agents;

/// <summary>One attempt as an agent's call about it needs it: who holds it, whether it still runs, and whether it is the job's newest.</summary>
public sealed record AttemptRow(
    long Id, long RunId, string JobId, int Number, string Status, string? Cause, string? Agent, string LogPath, string? CredentialHash, int NewestNumber)
{
    /// <summary>Still the job's running attempt: only then may anything be written for it.</summary>
    public bool Current => Status == JobStatus.Running.ToName() && Number == NewestNumber;

    /// <summary>Canceled (the run was) while its agent still stops it: the agent may still send its last lines and its end.</summary>
    public bool StoppingAfterCancel => Status == JobStatus.Canceled.ToName() && Number == NewestNumber;

    public AttemptKey Key => new(RunId, JobId, Number);

    public LogRef Log => new(RunId, JobId, Number, LogPath);

    /// <summary>The 409 for a write about an attempt that is no longer the job's running one.</summary>
    public ProblemHttpResult Stale() => Problems.Conflict(Number != NewestNumber
        ? $"attempt {Number} of job '{JobId}' in run {RunId} is stale: attempt {NewestNumber} replaced it"
        : $"attempt {Number} of job '{JobId}' in run {RunId} is no longer running ({Status}{(Cause is null ? "" : $", {Cause}")})");
}

/// <summary>An attempt's row and something more read with it.</summary>
public sealed record AttemptWith<T>(AttemptRow Row, T Also);

/// <summary>Finds the attempt a call names, for the agent that holds it or for the holder of the attempt's credential.</summary>
public static class AttemptAccess
{
    /// <summary>The attempt's row, with a query compiled once (every agent call about an attempt reads it).</summary>
    public static Task<AttemptRow?> FindAsync(PipelinerDbContext db, long attemptId, CancellationToken cancellationToken) =>
        RowById.For(db)(db, attemptId, cancellationToken);

    // RowFields written out, compiled once per model.
    private static readonly CompiledPerModel<Func<PipelinerDbContext, long, CancellationToken, Task<AttemptRow?>>> RowById = new(() =>
        EF.CompileAsyncQuery((PipelinerDbContext db, long attemptId, CancellationToken _) => db.Attempts.AsNoTracking()
            .Where(a => a.Id == attemptId)
            .Select(a => new AttemptRow(a.Id, a.Job!.RunId, a.Job.JobId, a.Number, a.Status, a.Cause, a.Agent, a.LogPath, a.CredentialHash,
                a.Job.Attempts.Max(x => x.Number)))
            .FirstOrDefault()));

    /// <summary>
    /// A query compiled once for the attempt's row and what <paramref name="also"/> reads of the same attempt (its run's
    /// commit, say), for <see cref="OfCredentialAsync{T}"/>: a query built per call is funcletized and compared with EF
    /// Core's cached ones at every execution.
    /// </summary>
    public static CompiledPerModel<Func<PipelinerDbContext, long, CancellationToken, Task<AttemptWith<T>?>>> CompileWithRow<T>(Expression<Func<AttemptEntity, T>> also)
    {
        // new AttemptWith<T>(new AttemptRow(…), also's body), over the same attempt: one projection EF translates whole.
        var attempt = also.Parameters[0];
        var row = ReplacingExpressionVisitor.Replace(RowFields.Parameters[0], attempt, RowFields.Body);
        var projection = Expression.Lambda<Func<AttemptEntity, AttemptWith<T>>>(
            Expression.New(typeof(AttemptWith<T>).GetConstructors().Single(), row, also.Body), attempt);
        Expression<Func<PipelinerDbContext, long, CancellationToken, AttemptEntity?>> shape =
            (db, attemptId, _) => db.Attempts.AsNoTracking().Where(a => a.Id == attemptId).FirstOrDefault();
        var filtered = ((MethodCallExpression)shape.Body).Arguments[0];
        var selected = Expression.Call(typeof(Queryable), nameof(Queryable.Select), [typeof(AttemptEntity), typeof(AttemptWith<T>)],
            filtered, Expression.Quote(projection));
        var first = Expression.Call(typeof(Queryable), nameof(Queryable.FirstOrDefault), [typeof(AttemptWith<T>)], selected);
        var query = Expression.Lambda<Func<PipelinerDbContext, long, CancellationToken, AttemptWith<T>?>>(first, shape.Parameters);
        return new(() => EF.CompileAsyncQuery(query));
    }

    private static readonly Expression<Func<AttemptEntity, AttemptRow>> RowFields = a => new AttemptRow(
        a.Id, a.Job!.RunId, a.Job.JobId, a.Number, a.Status, a.Cause, a.Agent, a.LogPath, a.CredentialHash, a.Job.Attempts.Max(x => x.Number));

    /// <summary>The attempt's row as the coordinator last saved it while it runs (<see cref="CurrentAttemptRows"/>), or read.</summary>
    public static async Task<AttemptRow?> FindAsync(PipelinerDbContext db, CurrentAttemptRows current, long attemptId, CancellationToken cancellationToken) =>
        current.Find(attemptId) ?? await FindAsync(db, attemptId, cancellationToken);

    /// <summary>The attempt if this agent was given it (a 404 for any other, so ids of others' attempts say nothing).</summary>
    public static async Task<(AttemptRow? Row, ProblemHttpResult? Problem)> OfAgentAsync(
        PipelinerDbContext db, CurrentAttemptRows current, AgentEntity agent, long attemptId, CancellationToken cancellationToken)
    {
        var row = await FindAsync(db, current, attemptId, cancellationToken);
        return row is null || row.Agent != agent.Name
            ? (null, Problems.NotFound($"agent {agent.Name} holds no attempt {attemptId}"))
            : (row, null);
    }

    /// <summary>The attempt when the request carries its credential (header or bearer) and the attempt still runs.</summary>
    public static async Task<(AttemptRow? Row, IResult? Problem)> OfCredentialAsync(
        PipelinerDbContext db, CurrentAttemptRows current, HttpContext http, long attemptId, CancellationToken cancellationToken)
    {
        var (found, problem) = await OfCredentialAsync(http, attemptId, async () =>
            await FindAsync(db, current, attemptId, cancellationToken) is { } row ? new AttemptWith<int>(row, 0) : null);
        return (found?.Row, problem);
    }

    /// <summary>
    /// <see cref="OfCredentialAsync(PipelinerDbContext, CurrentAttemptRows, HttpContext, long, CancellationToken)"/> with what more
    /// <paramref name="find"/> reads of the attempt, in the same query (compiled by <see cref="CompileWithRow{T}"/>).
    /// </summary>
    /// <param name="cached">What the process keeps of the attempt while it runs (<see cref="CurrentAttemptRows"/>): read only when it has nothing.</param>
    public static Task<(AttemptWith<T>? Found, IResult? Problem)> OfCredentialAsync<T>(
        PipelinerDbContext db, HttpContext http, long attemptId, CompiledPerModel<Func<PipelinerDbContext, long, CancellationToken, Task<AttemptWith<T>?>>> find,
        Func<long, AttemptWith<T>?> cached, CancellationToken cancellationToken) =>
        OfCredentialAsync(http, attemptId, () => cached(attemptId) is { } kept ? Task.FromResult<AttemptWith<T>?>(kept) : find.For(db)(db, attemptId, cancellationToken));

    private static async Task<(AttemptWith<T>? Found, IResult? Problem)> OfCredentialAsync<T>(
        HttpContext http, long attemptId, Func<Task<AttemptWith<T>?>> find)
    {
        var credential = http.Request.Headers[AgentRoutes.AttemptCredentialHeader].ToString();
        if (credential.Length == 0 && http.Request.Headers.Authorization.ToString() is { } header && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            credential = header["Bearer ".Length..].Trim();
        if (!credential.StartsWith(AgentCredentials.AttemptPrefix, StringComparison.Ordinal))
            return (null, Problems.Unauthorized($"the attempt's credential (from its assignment) in {AgentRoutes.AttemptCredentialHeader} or Authorization: Bearer"));
        var found = await find();
        if (found?.Row.CredentialHash is null || found.Row.CredentialHash != TokenHasher.Hash(credential))
            return (null, Problems.Unauthorized($"not the credential of attempt {attemptId}"));
        return found.Row.Current ? (found, null) : (null, found.Row.Stale());
    }
}
