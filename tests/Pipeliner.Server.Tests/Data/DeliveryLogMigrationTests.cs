using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Data;

/// <summary>The delivery log migration on a real SQLite file holding deliveries of every older outcome: each gets its new name.</summary>
public sealed class DeliveryLogMigrationTests : IDisposable
{
    private const string BeforeDeliveryLog = "20261204031721_EnvironmentGate";

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Migrate_GivesEveryOlderOutcomeItsNewNameAndKeepsRefAndCommit_WhenDeliveriesExist()
    {
        await using var database = await MigratingDatabase.AtAsync(_directory.Combine("pipeliner.db"), BeforeDeliveryLog);
        var db = database.Db;
        // Braces doubled: the raw SQL is a format string.
        await db.Database.ExecuteSqlRawAsync("""
            INSERT INTO "Projects" ("Id", "Name", "Repository", "Forge", "WebhookSecretProtected", "PipelineFile", "DefaultBranch", "CreatedAt",
                "LastRunNumber", "AllowSecretsForForks") VALUES (1, 'shop', '/repo', 'github', 'x', '.pipeliner.yml', 'main', 0, 0, 0);
            INSERT INTO "WebhookDeliveries" ("ProjectId", "DeliveryId", "Forge", "Kind", "Outcome", "Message", "EventJson", "RunId", "ReceivedAt") VALUES
              (1, 'd-received', 'github', 'push', 'received', NULL, '{{"ref":"refs/heads/main","commitSha":"aaa"}}', NULL, 1),
              (1, 'd-run', 'github', 'push', 'run_created', NULL, '{{"ref":"refs/heads/main","commitSha":"bbb"}}', 7, 2),
              (1, 'd-invalid', 'github', 'tag', 'invalid_pipeline', 'the pipeline file is invalid', '{{"ref":"refs/tags/v1","commitSha":"ccc"}}', 8, 3),
              (1, 'd-not', 'gitea', 'pullrequest', 'not_triggered', 'branch x matches none of main', '{{"ref":"refs/pull/1/head","commitSha":"ddd"}}', NULL, 4),
              (1, 'd-none', 'gitlab', 'push', 'no_pipeline', 'no .pipeliner.yml at commit eee', '{{"ref":"refs/heads/dev","commitSha":"eee"}}', NULL, 5),
              (1, 'd-failed', 'bitbucket', 'push', 'failed', 'cannot read the repository', '{{"ref":"refs/heads/main","commitSha":"fff"}}', NULL, 6);
            """);

        await database.MigrateAsync();

        var rows = await db.WebhookDeliveries.AsNoTracking().OrderBy(d => d.Id)
            .Select(d => new { d.DeliveryId, d.UniqueDeliveryId, d.Event, d.Outcome, d.Message, d.Ref, d.Commit, d.RunId, d.Count })
            .ToListAsync();
        Assert.Equal(["received", "run", "run", "not_triggered", "not_triggered", "failed"], rows.Select(r => r.Outcome));
        Assert.Equal(["push", "push", "tag", "pullrequest", "push", "push"], rows.Select(r => r.Event));
        Assert.Equal(["aaa", "bbb", "ccc", "ddd", "eee", "fff"], rows.Select(r => r.Commit));
        Assert.Equal("refs/pull/1/head", rows[3].Ref);
        Assert.Equal("the pipeline file is invalid: the run shows its errors", rows[2].Message);
        Assert.Equal("no .pipeliner.yml at commit eee", rows[4].Message);
        Assert.Equal([null, 7L, 8L, null, null, null], rows.Select(r => r.RunId));
        Assert.All(rows, r => Assert.Equal((r.DeliveryId, 1), (r.UniqueDeliveryId, r.Count)));
    }
}
