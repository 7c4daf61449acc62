namespace Pipeliner.Server.Http;

public static class HttpContextExtensions
{
    /// <summary>The server's address as the caller reached it, for links in answers.</summary>
    public static string BaseUrl(this HttpContext http) => $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}";
}
