using System.Collections.Concurrent;
using Pipeliner.Engine.Storage;
using Pipeliner.Server.Data.Providers;

namespace Pipeliner.Server.Webhooks;

/// <summary>
/// Says loudly, and once in a while rather than for every delivery, that a project's webhook secret cannot be decrypted:
/// the Data Protection keys it was encrypted with are gone. Webhooks of that project are refused until it is fixed.
/// Where the keys were — the data directory's <c>keys/</c> on one server, the database (shared by replicas) on
/// PostgreSQL — is said, so that the fix named is the one that applies.
/// </summary>
public sealed class WebhookKeyAlarm(DataLayout layout, IDatabaseProvider database, TimeProvider time, ILogger<WebhookKeyAlarm> logger)
{
    /// <summary>Where the PostgreSQL key ring lives, as the messages name it.</summary>
    public const string KeysTable = "DataProtectionKeys";

    private static readonly TimeSpan Quiet = TimeSpan.FromMinutes(5);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastRaised = new(StringComparer.Ordinal);

    /// <summary>What the delivery log says; the server log says the same with where the keys are.</summary>
    /// <param name="keysInDatabase">The keys are kept in the database (PostgreSQL, replicas) rather than in the data directory.</param>
    public static string Message(string project, bool keysInDatabase) =>
        "the webhook secret cannot be decrypted: the server's Data Protection keys are not the ones it was encrypted with (lost or replaced). " +
        (keysInDatabase
            ? $"They are kept in the database's {KeysTable} table, shared by every replica: restore its rows from the database backup, "
            : "Restore the keys/ directory from the backup taken with pipeliner.db, ") +
        $"or set the secret again (PATCH /api/projects/{project} with \"webhookSecret\", and the same in the forge)";

    /// <summary><see cref="Message(string, bool)"/> for where this server keeps its keys.</summary>
    public string Describe(string project) => Message(project, database.SupportsReplicas);

    public void Raise(string project, Exception cause)
    {
        var now = time.GetUtcNow();
        if (_lastRaised.TryGetValue(project, out var last) && now - last < Quiet) return;
        _lastRaised[project] = now;
        var keys = database.SupportsReplicas ? $"the {KeysTable} table of the {database.Name} database" : Path.Combine(layout.Root, "keys");
        logger.LogError("Webhooks of project {Project} are refused (401): {Message}. Keys: {Keys}. Cause: {Cause}",
            project, Describe(project), keys, cause.Message);
    }
}
