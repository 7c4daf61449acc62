using System.Collections.Concurrent;
using Pipeliner.Engine.Logging;
using Pipeliner.Server.ProjectSecrets;

namespace Pipeliner.Server.Logs;

/// <summary>
/// The masker of a run's secret values, for logs that agents send (masked on the agent, and again here): decrypted once
/// a minute at most per run, not per batch.
/// </summary>
public sealed class LogMaskers(IServiceScopeFactory scopes, TimeProvider time)
{
    private static readonly TimeSpan Keep = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<long, (SecretMasker Masker, DateTimeOffset Until)> _maskers = new();

    public async Task<SecretMasker> ForRunAsync(long runId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_maskers.TryGetValue(runId, out var kept) && kept.Until > now) return kept.Masker;
        await using var scope = scopes.CreateAsyncScope();
        var secrets = await scope.ServiceProvider.GetRequiredService<SecretVault>().ForRunAsync(runId, cancellationToken);
        var masker = new SecretMasker(secrets.Values);
        foreach (var old in _maskers.Where(m => m.Value.Until <= now).Select(m => m.Key).ToList()) _maskers.TryRemove(old, out _);
        _maskers[runId] = (masker, now + Keep);
        return masker;
    }
}

/// <summary>Reads a request body of at most a given size into memory.</summary>
public static class BoundedBody
{
    /// <summary>The body, or null when it is longer than <paramref name="max"/> bytes.</summary>
    public static async Task<byte[]?> ReadAsync(Stream body, int max, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > max) return null;
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
