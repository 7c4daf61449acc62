using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Engine.Logging;
using Pipeliner.Engine.Secrets;
using Pipeliner.Server.Data;
using Pipeliner.Server.ProjectSecrets;

namespace Pipeliner.Server.Logs;

/// <summary>
/// The one masking service of the server's logs, on every path: what remote agents send is masked before it is stored
/// (<see cref="ForRunAsync"/>, with <c>ILogStore</c>), what is indexed for search and what search answers
/// (<see cref="ForProjectAsync"/>), and every read of a stored log — ranges, pages, search in a log, the raw download,
/// live lines (<see cref="OpenAsync"/>, <see cref="MaskLineAsync"/>). Whatever a log holds, no form of a secret its
/// project holds now comes out: every value of the project's secrets, environment-scoped ones included, whatever the
/// run's trust (a pull request from a fork is given no values, but its log is masked all the same).
/// <see cref="MaskedLogStream"/> overwrites a value with <c>*</c> byte for byte, so offsets stay true. The agents mask
/// with the values they were given; this catches a secret set after the log was written, a log stored unmasked, and
/// what an agent missed.
/// </summary>
public sealed class LogMasking(IServiceScopeFactory scopes, TimeProvider time)
{
    /// <summary>A secret set through another replica is masked by this one at most this long after the change.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    private const int MaxCached = 256;
    private readonly ConcurrentDictionary<int, (DateTimeOffset Until, SecretMasker Masker)> _byProject = new();

    /// <summary>A run's project never changes: looked up once per run.</summary>
    private readonly ConcurrentDictionary<long, int?> _projectOfRun = new();

    /// <summary>The masker of every secret value of the run's project (none for a run that does not exist).</summary>
    public async Task<SecretMasker> ForRunAsync(long runId, CancellationToken cancellationToken)
    {
        if (!_projectOfRun.TryGetValue(runId, out var projectId))
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
            projectId = await ProjectOfRun.For(db)(db, runId, cancellationToken);
            if (projectId is null) return SecretMasker.None;
            if (_projectOfRun.Count >= MaxCached * 16) _projectOfRun.Clear();
            _projectOfRun[runId] = projectId;
        }

        return projectId is { } id ? await ForProjectAsync(id, cancellationToken) : SecretMasker.None;
    }

    /// <summary>Notes the project of a run just created, so that its first log batch does not look it up.</summary>
    public void NoteRun(long runId, int projectId)
    {
        if (_projectOfRun.Count >= MaxCached * 16) _projectOfRun.Clear();
        _projectOfRun[runId] = projectId;
    }

    // The first log batch of every run not created by this process asks: compiled once, not funcletized and looked up per call.
    private static readonly CompiledPerModel<Func<PipelinerDbContext, long, CancellationToken, Task<int?>>> ProjectOfRun = new(() =>
        EF.CompileAsyncQuery((PipelinerDbContext db, long runId, CancellationToken _) =>
            db.Runs.AsNoTracking().Where(r => r.Id == runId).Select(r => (int?)r.ProjectId).FirstOrDefault()));

    /// <summary>The masker of every secret value the project holds now (environment-scoped ones included).</summary>
    public async Task<SecretMasker> ForProjectAsync(int projectId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_byProject.TryGetValue(projectId, out var cached) && cached.Until > now) return cached.Masker;
        await using var scope = scopes.CreateAsyncScope();
        var values = await scope.ServiceProvider.GetRequiredService<SecretVault>().AllValuesOfProjectAsync(projectId, cancellationToken);
        var masker = values.Count == 0 ? SecretMasker.None : new SecretMasker(values);
        if (_byProject.Count >= MaxCached)
        {
            foreach (var (key, entry) in _byProject.Where(e => e.Value.Until <= now)) _byProject.TryRemove(key, out _);
            if (_byProject.Count >= MaxCached) _byProject.Clear();
        }

        _byProject[projectId] = (now + CacheFor, masker);
        return masker;
    }

    /// <summary>A secret was set or removed: every masker is built again at its next use.</summary>
    public void Forget() => _byProject.Clear();

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
