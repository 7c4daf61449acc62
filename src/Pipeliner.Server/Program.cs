using Microsoft.Extensions.Options;
using Pipeliner.Server.Http;

try
{
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
    return 0;
}
catch (Exception e) when (e is OptionsValidationException
                          || (e is InvalidOperationException && e.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal)))
{
    // A wrong setting is the operator's to fix: say which, without a stack trace.
    var failures = e is OptionsValidationException invalid ? invalid.Failures : [e.Message];
    Console.Error.WriteLine($"Pipeliner: the settings are invalid: {string.Join("; ", failures)}");
    return 2;
}

/// <summary>Visible to the test host (WebApplicationFactory).</summary>
public partial class Program;
