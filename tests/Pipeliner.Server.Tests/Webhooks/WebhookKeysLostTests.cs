using System.Net;
using System.Net.Http.Json;
using Npgsql;
using Pipeliner.Server.Tests.Support;
using Pipeliner.Server.Webhooks;
using Pipeliner.TestSupport.Databases;

namespace Pipeliner.Server.Tests.Webhooks;

/// <summary>
/// The Data Protection keys deleted between two starts of a real server process: the project's webhook secret can no
/// longer be decrypted. Deliveries are refused with 401 (never a 500), the log names the cause and the fix, the
/// delivery log says the same (where the keys were: the data directory, or on PostgreSQL the database), and setting the
/// secret again mends it.
/// </summary>
public sealed class WebhookKeysLostTests : IDisposable
{
    private readonly TempDirectory _directory = new("pipeliner-keys-lost-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public Task Deliver_Returns401AndSaysWhyAndHowToFixIt_WhenTheDataProtectionKeysWereLost()
    {
        var dataDir = _directory.Combine("data");
        return KeysLostAsync(dataDir, [], keysInDatabase: false, loseKeys: () =>
        {
            Directory.Delete(Path.Combine(dataDir, "keys"), recursive: true);
            return Task.CompletedTask;
        });
    }

    [Fact]
    [Trait("Database", "postgres")]
    public async Task Deliver_SaysTheKeysInTheDatabaseAreNotTheOnes_WhenTheDataProtectionKeysWereLostOnPostgres()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync("keyslost");
        string[] settings = ["--Pipeliner:Database:Provider=postgres", $"--ConnectionStrings:Pipeliner={database.ConnectionString}"];
        await KeysLostAsync(_directory.Combine("data"), settings, keysInDatabase: true, loseKeys: async () =>
        {
            // The replicas' key ring is rows of the database: gone as with a backup restored without that table.
            await using var connection = new NpgsqlConnection(database.ConnectionString);
            await connection.OpenAsync();
            await using var delete = new NpgsqlCommand($"DELETE FROM \"{WebhookKeyAlarm.KeysTable}\"", connection);
            Assert.True(await delete.ExecuteNonQueryAsync() > 0, "no key in the database to lose");
        });
    }

    private async Task KeysLostAsync(string dataDir, string[] settings, bool keysInDatabase, Func<Task> loseKeys)
    {
        var repository = GitRepository.WithPipeline(_directory.Combine("repo"), Pipelines.OneJob);
        var fixture = WebhookDelivery.Cases["gitea/push.json"];
        var body = WebhookDelivery.Rewritten(fixture, repository.Head());
        await using (var server = await ServerProcess.StartAsync(dataDir, agentCapacity: 0, settings: settings))
        {
            using var client = server.Client();
            using (var created = await client.PostProjectAsync("shop", repository.Path, "gitea"))
                await Api.ExpectAsync(created, HttpStatusCode.Created);
            using var accepted = await client.SendAsync(WebhookDelivery.Request("shop", fixture, body, Secrets.Webhook, "before"));
            Assert.Equal("accepted", (await accepted.AcceptedAsync()).Status);
            await client.WaitForDeliveryAsync("shop", "before", DeliveryOutcomes.Run);
            await server.StopAsync();
        }

        await loseKeys();
        await using var restarted = await ServerProcess.StartAsync(dataDir, agentCapacity: 0, settings: settings);
        using var admin = restarted.Client();

        foreach (var id in new[] { "after-1", "after-2" })
        {
            using var refused = await admin.SendAsync(WebhookDelivery.Request("shop", fixture, body, Secrets.Webhook, id));
            var problem = await Api.ProblemAsync(refused, HttpStatusCode.Unauthorized);
            Assert.Equal(WebhookIntake.RefusedDetail, problem.Detail());
        }

        var logged = restarted.Output.Split('\n').Where(line => line.Contains("cannot be decrypted", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(logged);
        Assert.Contains("Webhooks of project shop are refused", line, StringComparison.Ordinal);
        Assert.Contains(keysInDatabase ? $"Keys: the {WebhookKeyAlarm.KeysTable} table of the postgres database" : $"Keys: {Path.Combine(dataDir, "keys")}",
            line, StringComparison.Ordinal);
        Assert.Contains(keysInDatabase ? "restore its rows from the database backup" : "Restore the keys/ directory", line, StringComparison.Ordinal);
        Assert.Contains("webhookSecret", line, StringComparison.Ordinal);
        var delivery = (await admin.DeliveriesAsync("shop")).Items[0];
        Assert.Equal((DeliveryOutcomes.Failed, "after-2"), (delivery.Outcome, delivery.DeliveryId));
        Assert.StartsWith(WebhookKeyAlarm.Message("shop", keysInDatabase), delivery.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(" 500 ", restarted.Output, StringComparison.Ordinal);

        using (var mended = await admin.PatchAsJsonAsync("/api/projects/shop", new { webhookSecret = Secrets.Webhook }))
            await Api.ExpectAsync(mended, HttpStatusCode.OK);
        using var accepted2 = await admin.SendAsync(WebhookDelivery.Request("shop", fixture, body, Secrets.Webhook, "mended"));
        Assert.Equal("accepted", (await accepted2.AcceptedAsync()).Status);
    }
}
