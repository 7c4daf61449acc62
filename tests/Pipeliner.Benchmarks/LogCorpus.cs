using System.Text;

namespace Pipeliner.Benchmarks;

/// <summary>
/// Realistic CI logs, generated: timestamps, build and test output with ids and hashes, colours, progress bars,
/// stack traces. Deterministic for a seed, so that figures can be reproduced.
/// </summary>
public static class LogCorpus
{
    public const string CommonWord = "warning";

    private static readonly string[] Modules = ["api", "billing", "catalog", "checkout", "identity", "inventory", "search", "shipping"];
    private static readonly string[] Frames =
    [
        "at Shop.Orders.OrderService.PlaceAsync(Order order) in /src/Orders/OrderService.cs:line {0}",
        "at Shop.Payments.Gateway.ChargeAsync(Payment payment, CancellationToken token) in /src/Payments/Gateway.cs:line {0}",
        "at System.Runtime.CompilerServices.TaskAwaiter.ThrowForNonSuccess(Task task)",
        "at Npgsql.NpgsqlConnector.ReadMessage(DataRowLoadingMode mode) in /npgsql/NpgsqlConnector.cs:line {0}",
        "at Xunit.Sdk.TestInvoker`1.CallTestMethod(Object testClassInstance)",
    ];

    /// <summary>One attempt's log of about <paramref name="bytes"/> bytes, in the stored format.</summary>
    public static byte[] Attempt(Random random, int bytes, DateTimeOffset start, string? marker)
    {
        var text = new StringBuilder(bytes + 1024);
        var time = start;
        var markerAt = marker is null ? -1 : random.Next(bytes / 2);
        var step = 0;
        while (text.Length < bytes)
        {
            time = time.AddMilliseconds(random.Next(0, 40));
            text.Append(time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z' ", System.Globalization.CultureInfo.InvariantCulture));
            if (markerAt >= 0 && text.Length >= markerAt)
            {
                text.Append("fatal: ").Append(marker).Append(" while talking to the payment gateway\n");
                markerAt = -1;
                continue;
            }

            var module = Modules[random.Next(Modules.Length)];
            switch (random.Next(20))
            {
                case 0:
                    text.Append("\u001b[33m").Append(CommonWord).Append("\u001b[0m CS8618: non-nullable property '").Append(module)
                        .Append("Id' must contain a non-null value when exiting constructor\n");
                    break;
                case 1:
                    text.Append("System.InvalidOperationException: sequence contains no elements (request ")
                        .Append(Guid.NewGuid().ToString("N")).Append(")\n");
                    for (var i = random.Next(3, 9); i > 0; i--)
                    {
                        text.Append(time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z' ", System.Globalization.CultureInfo.InvariantCulture))
                            .Append("   ").AppendFormat(System.Globalization.CultureInfo.InvariantCulture, Frames[random.Next(Frames.Length)], random.Next(20, 900)).Append('\n');
                    }

                    break;
                case 2:
                    text.Append("Downloading ").Append(module).Append("-deps 10%\r").Append("Downloading ").Append(module).Append("-deps 100% ")
                        .Append(random.Next(1, 900)).Append(" MB\n");
                    break;
                case 3 or 4 or 5:
                    text.Append("\u001b[32m  Passed\u001b[0m Shop.").Append(module).Append(".Tests.").Append(module).Append("Tests.Handles_case_")
                        .Append(random.Next(100_000)).Append(" [").Append(random.Next(1, 400)).Append(" ms]\n");
                    break;
                case 6:
                    text.Append("Step ").Append(++step).Append("/42 : RUN dotnet publish -c Release -o /app ").Append(module).Append(" sha256:")
                        .Append(Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant()).Append('\n');
                    break;
                default:
                    text.Append("  ").Append(module).Append(" -> /src/").Append(module).Append("/bin/Release/net10.0/Shop.").Append(module)
                        .Append(".dll (").Append(random.Next(10, 9999)).Append(" KB, build ").Append(random.Next(1_000_000)).Append(")\n");
                    break;
            }
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
