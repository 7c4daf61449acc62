using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Pipeliner.Server.Data.Providers;

namespace Pipeliner.Server.Http;

/// <summary>
/// A request that failed because the database is out of reach (PostgreSQL restarting, a network cut, no connection
/// left; SQLite's write lock held past the busy timeout) answers 503 "database unavailable" with a Retry-After, not
/// 500: nothing is wrong with the request, and the
/// same request succeeds once the database is back (each request opens its connections anew, so a replica reconnects
/// by itself). Logged as a warning, without the stack trace of a bug.
/// </summary>
public sealed class DatabaseUnavailableExceptionHandler(IProblemDetailsService problems, ILogger<DatabaseUnavailableExceptionHandler> logger)
    : IExceptionHandler
{
    public const string Title = "Database unavailable";
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        if (!DatabaseErrors.IsUnavailable(exception)) return false;
        var cause = DatabaseErrors.PostgresFailure(exception)?.Message ?? exception.Message;
        logger.LogWarning("{Method} {Path}: the database is unavailable ({Cause}); answered 503", http.Request.Method, http.Request.Path, cause);
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = Title,
                Detail = "database unavailable: the server cannot reach its database, or it is busy, right now; try again in a few seconds",
            },
            Exception = exception,
        });
    }
}
