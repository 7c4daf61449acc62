using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace Pipeliner.Server.Dashboard;

/// <summary>
/// Serves the dashboard's production build (web/dist, copied to the server's wwwroot by the build) at <c>/</c>.
/// Any other path that is not the server's own (API, webhooks, Hangfire, health, metrics, OpenAPI) answers with
/// index.html, so that the dashboard's addresses can be opened and reloaded directly; the server's own paths
/// never fall back. Precompressed copies (.br, .gz) are sent when accepted.
/// </summary>
public static class DashboardFiles
{
    /// <summary>First path segments that belong to the server, never to the dashboard.</summary>
    public static readonly string[] ServerSegments = ["api", "hooks", "badge", "hangfire", "healthz", "metrics", "openapi"];

    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    public static string WebRoot => Path.Combine(AppContext.BaseDirectory, "wwwroot");

    /// <summary>
    /// A middleware after routing rather than a fallback endpoint: it answers only requests no endpoint took, so the
    /// server's own paths keep their answers exactly (a GET on a POST-only webhook path stays a 405).
    /// </summary>
    public static void UseDashboardFiles(this IApplicationBuilder app)
    {
        IFileProvider files = Directory.Exists(WebRoot) ? new PhysicalFileProvider(WebRoot) : new NullFileProvider();
        app.Use(async (http, next) =>
        {
            if (http.GetEndpoint() is null && (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method))
                && !IsServerPath(http.Request.Path))
            {
                await ServeAsync(http, files);
                return;
            }

            await next(http);
        });
    }

    public static bool IsServerPath(PathString path)
    {
        var value = path.Value ?? "/";
        if (value.Length <= 1) return false;
        var end = value.IndexOf('/', 1);
        var first = end < 0 ? value[1..] : value[1..end];
        return ServerSegments.Contains(first, StringComparer.OrdinalIgnoreCase);
    }

    private static Task ServeAsync(HttpContext http, IFileProvider files)
    {
        var path = http.Request.Path.Value ?? "/";
        var file = path.EndsWith('/') ? null : files.GetFileInfo(path);
        if (file is { Exists: true, IsDirectory: false }) return SendAsync(http, files, path, file);

        // A missing hashed asset is an error, not a page: index.html would be parsed as script.
        if (path.StartsWith("/assets/", StringComparison.Ordinal))
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"no file {path}").ExecuteAsync(http);

        var index = files.GetFileInfo("/index.html");
        if (!index.Exists)
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
                detail: "the dashboard is not built into this server (web/dist was missing when it was built)").ExecuteAsync(http);
        }

        return SendAsync(http, files, "/index.html", index);
    }

    private static Task SendAsync(HttpContext http, IFileProvider files, string path, IFileInfo file)
    {
        if (!ContentTypes.TryGetContentType(path, out var contentType)) contentType = "application/octet-stream";
        var headers = http.Response.Headers;
        // Hashed assets never change; everything else (index.html) is checked on every load so a new build shows at once.
        headers.CacheControl = path.StartsWith("/assets/", StringComparison.Ordinal) ? "public, max-age=31536000, immutable" : "no-cache";
        headers.Vary = HeaderNames.AcceptEncoding;
        headers.XContentTypeOptions = "nosniff";

        var accepted = http.Request.Headers.AcceptEncoding.ToString();
        foreach (var (encoding, suffix) in new[] { ("br", ".br"), ("gzip", ".gz") })
        {
            if (!accepted.Contains(encoding, StringComparison.OrdinalIgnoreCase)) continue;
            var compressed = files.GetFileInfo(path + suffix);
            if (compressed is not { Exists: true, PhysicalPath: not null }) continue;
            headers.ContentEncoding = encoding;
            return Results.File(compressed.PhysicalPath, contentType, lastModified: compressed.LastModified,
                entityTag: Tag(compressed, encoding)).ExecuteAsync(http);
        }

        return Results.File(file.PhysicalPath!, contentType, lastModified: file.LastModified, entityTag: Tag(file, "identity")).ExecuteAsync(http);
    }

    private static EntityTagHeaderValue Tag(IFileInfo file, string encoding) =>
        new($"\"{file.LastModified.UtcTicks:x}-{file.Length:x}-{encoding}\"");
}
