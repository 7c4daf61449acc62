using Pipeliner.Server.Http;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    // Settings files ship next to the server, wherever it is started from.
    ContentRootPath = AppContext.BaseDirectory,
});
builder.AddPipeliner();
var app = builder.Build();
app.UsePipeliner();
app.Run();

/// <summary>Visible to the test host (WebApplicationFactory).</summary>
public partial class Program;
