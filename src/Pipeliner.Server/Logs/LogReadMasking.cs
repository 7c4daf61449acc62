using System.Collections.Concurrent;
using Pipeliner.Engine.Logging;
using Pipeliner.Engine.Secrets;
using Pipeliner.Server.ProjectSecrets;

namespace Pipeliner.Server.Logs;

/// <summary>
/// The one place where what is read from stored logs is masked, for every read path (log ranges, pages, search, the
/// raw download, live log events, and search across runs): whatever a log holds, no form of a secret its project
/// holds now comes out (<see cref="MaskedLogStream"/>, which overwrites it with <c>*</c> byte for byte, so offsets
/// stay true). The write path masks with the values the job's agent was given; this catches a secret set after the
/// log was written, a log stored unmasked (a pull request from a fork is given no values), and what an agent missed.
/// </summary>
public sealed class LogReadMasking(IServiceScopeFactory scopes, TimeProvider time)
{
    /// <summary>A secret set through another replica is masked on this one's reads at most this long after the change.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    private const int MaxCachedRuns = 256;
    private readonly ConcurrentDictionary<long, (DateTimeOffset Until, SecretMasker Masker)> _maskers = new();

    /// <summary>The masker of every secret value of the run's project (environment-scoped ones included).</summary>
    public async Task<SecretMasker> ForRunAsync(long runId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_maskers.TryGetValue(runId, out var cached) && cached.Until > now) return cached.Masker;
        await using var scope = scopes.CreateAsyncScope();
        var values = await scope.ServiceProvider.GetRequiredService<SecretVault>().AllValuesOfRunProjectAsync(runId, cancellationToken);
        var masker = values.Count == 0 ? SecretMasker.None : new SecretMasker(values);
        if (_maskers.Count >= MaxCachedRuns)
        {
            foreach (var (key, entry) in _maskers.Where(e => e.Value.Until <= now)) _maskers.TryRemove(key, out _);
            if (_maskers.Count >= MaxCachedRuns) _maskers.Clear();
        }

        _maskers[runId] = (now + CacheFor, masker);
        return masker;
    }

    /// <summary>A secret was set: every run's masker is built again at its next read.</summary>
    public void Forget() => _maskers.Clear();

    /// <summary>
    /// Bytes <paramref name="start"/> to <paramref name="start"/> + <paramref name="length"/> of a run's stored log
    /// (<paramref name="log"/>, seekable, owned by the returned stream), masked.
    /// </summary>
    public async Task<Stream> OpenAsync(long runId, Stream log, long start, long length, CancellationToken cancellationToken) =>
        new MaskedLogStream(log, await ForRunAsync(runId, cancellationToken), start, length);

    /// <summary>One line of a run's log for a live viewer, masked.</summary>
    public async Task<string> MaskLineAsync(long runId, string text, CancellationToken cancellationToken)
    {
        var masker = await ForRunAsync(runId, cancellationToken);
        return masker.IsEmpty ? text : masker.Mask(text);
    }
}
