using System.Text;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;

namespace Pipeliner.Server.Http;

/// <summary>
/// A body whose Content-Type names a charset .NET does not know cannot be read as JSON; the framework throws an
/// InvalidOperationException for it (a 500). It is the client's error: 415 with a problem, before any endpoint.
/// </summary>
public static class UnknownCharsetGuard
{
    public static IApplicationBuilder UseUnknownCharsetGuard(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var type) && type.Charset is { Length: > 0 } charset && !IsKnown(charset.ToString()))
        {
            http.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails = new ProblemDetails
                {
                    Status = StatusCodes.Status415UnsupportedMediaType,
                    Title = "Unsupported media type",
                    Detail = $"the charset '{charset}' is not known; send UTF-8",
                },
            });
            return;
        }

        await next(http);
    });

    private static bool IsKnown(string charset)
    {
        try
        {
            Encoding.GetEncoding(charset.Trim('"'));
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
