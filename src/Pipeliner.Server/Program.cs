using Microsoft.Extensions.Options;
using Pipeliner.Server;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Hosting;
using Pipeliner.Server.Http;
using Pipeliner.Server.Settings;

// Before the start compiles anything much: the JIT's freed slabs then leave the process instead of the C heap.
new LargeAllocationMappings().Apply();
WebApplication? app = null;
try
{
    // The slim builder: CreateBuilder's defaults also load what this server never uses (Kestrel's QUIC transport, IIS
    // integration, the Debug and EventSource loggers); what it does use is added back in AddPipelinerHosting.
    var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
    {
        Args = args,
        // Settings files ship next to the server, wherever it is started from.
        ContentRootPath = AppContext.BaseDirectory,
    });
    builder.AddPipelinerHosting();
    builder.AddPipeliner();
    app = builder.Build();
    var database = app.Services.GetRequiredService<IOptions<PipelinerOptions>>().Value.Database;
    if (!string.IsNullOrWhiteSpace(database.CopyFrom))
        return await DatabaseCopy.RunAsync(app.Services, database.CopyFrom, Console.Out, Console.Error);
    if (database.MigrateOnly)
        return await DatabaseMigration.RunAsync(app.Services, Console.Out);
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
catch (Exception e) when (DatabaseErrors.PostgresFailure(e) is { } failure)
{
    // PostgreSQL cannot be reached (or refused us) at start: say so, without a stack trace.
    Console.Error.WriteLine($"Pipeliner: cannot use the PostgreSQL database (ConnectionStrings:Pipeliner): {failure.Message}");
    return 3;
}
catch (IOException e) when (app is not null && e.Message.StartsWith("Failed to bind", StringComparison.Ordinal))
{
    // The address is taken: say so, and do not lose the first admin token, which no later start prints again.
    Console.Error.WriteLine($"Pipeliner: cannot listen: {e.Message} Stop what uses it, or choose another address with --urls.");
    StartupBanner.WriteUnshownToken(Console.Error, app.Services.GetRequiredService<StartupReport>());
    return 2;
}

/// <summary>Visible to the test host (WebApplicationFactory).</summary>
public partial class Program;
