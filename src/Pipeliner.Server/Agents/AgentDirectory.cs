using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Agent.Contracts;
using Pipeliner.Core.Runs;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Scheduling;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Agents;

/// <summary>A running attempt as <c>GET /api/agents</c> lists it.</summary>
public sealed record AgentRunningJob(long RunId, string Job, int Attempt);

/// <summary>An agent as <c>GET /api/agents</c> shows it; <c>status</c> is online, offline or disabled.</summary>
public sealed record AgentResponse(
    string Name, IReadOnlyList<string> Labels, int Capacity, string Status, DateTimeOffset? LastSeenAt, string Version,
    IReadOnlyList<AgentRunningJob> RunningJobs);

/// <summary>
/// The agents the server knows: the embedded one (registered by itself at start, without a credential) and remote ones
/// (registered with a registration token, then known by their own credential, stored hashed).
/// </summary>
public sealed class AgentDirectory(
    IServiceScopeFactory scopes, IOptions<PipelinerOptions> options, TimeProvider time, ILogger<AgentDirectory> logger)
{
    public const string Version = "1";
    private readonly ConcurrentDictionary<string, Lazy<Task>> _embedded = new(StringComparer.Ordinal);

    /// <summary>Online: seen within <c>Pipeliner:Agent:OfflineAfter</c> and not disabled.</summary>
    public static string StatusOf(AgentEntity agent, DateTimeOffset now, TimeSpan offlineAfter) =>
        agent.Disabled ? "disabled" : agent.LastSeenAt is { } seen && now - seen <= offlineAfter ? "online" : "offline";

    /// <summary>
    /// Records an agent inside the server (once per process): its labels and capacity as configured now. Its workers all
    /// ask at the server's start; the first one's recording is the one they all wait for, so no two inserts race for the
    /// name (whose loser EF Core logs as a failed command). One that failed is tried again by the next call.
    /// </summary>
    public async Task EnsureEmbeddedAsync(AgentInfo agent, CancellationToken cancellationToken)
    {
        var recording = _embedded.GetOrAdd(agent.Name, _ => new Lazy<Task>(() => RecordEmbeddedAsync(agent, cancellationToken)));
        try
        {
            await recording.Value;
        }
        catch
        {
            _embedded.TryRemove(KeyValuePair.Create(agent.Name, recording));
            throw;
        }
    }

    private async Task RecordEmbeddedAsync(AgentInfo agent, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        var entity = await db.Agents.FirstOrDefaultAsync(a => a.Name == agent.Name, cancellationToken);
        if (entity is null)
        {
            entity = new AgentEntity { Name = agent.Name, Embedded = true, RegisteredAt = time.GetUtcNow() };
            db.Agents.Add(entity);
        }

        entity.Labels = AgentLabels.Join(agent.Labels);
        entity.Capacity = agent.Capacity;
        entity.Version = Version;
        entity.LastSeenAt = time.GetUtcNow();
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException) when (!cancellationToken.IsCancellationRequested)
        {
            // Another replica on this machine (same name) recorded it first.
        }
    }

    /// <summary>
    /// The agent a credential belongs to; null for anything else (a user's token among them). Its last-seen time is written
    /// when it is older than <see cref="SeenInterval"/>, not at every call: an agent makes several calls a second while its
    /// jobs run (claims, log batches, heartbeats, ends), and a write per call was a write transaction per request.
    /// </summary>
    /// <remarks>
    /// A credential found in the database is remembered (by its SHA-256, as stored) until the agent's last-seen time needs
    /// writing again, at most <see cref="SeenInterval"/> (≤ 5 s): the calls in between are answered without a query, and
    /// the next one after it looks the credential up again (and writes the last-seen time). A credential that stops working
    /// here (the agent deleted, registered again with a new credential, re-announced) is forgotten at once
    /// (<see cref="Forget"/>); one that stops working through another replica works here at most <see cref="SeenInterval"/>
    /// longer.
    /// </remarks>
    public async Task<AgentEntity?> AuthenticateAsync(string credential, CancellationToken cancellationToken)
    {
        if (!credential.StartsWith(AgentCredentials.AgentPrefix, StringComparison.Ordinal)) return null;
        var hash = TokenHasher.Hash(credential);
        var now = time.GetUtcNow();
        if (_verified.TryGetValue(hash, out var known) && Fresh(known, now)) return known.Agent;

        // A Forget while the query runs wins: what the query read may be what was just changed.
        var generation = Volatile.Read(ref _generation);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        var agent = await db.Agents.AsNoTracking().FirstOrDefaultAsync(a => a.CredentialHash == hash, cancellationToken);
        if (agent is null)
        {
            _verified.TryRemove(hash, out _);
            return null;
        }

        if (agent.LastSeenAt is not { } seen || now - seen >= SeenInterval || seen > now)
        {
            await db.Agents.Where(a => a.Id == agent.Id).ExecuteUpdateAsync(set => set.SetProperty(a => a.LastSeenAt, now), cancellationToken);
            agent.LastSeenAt = now;
        }

        if (_verified.Count >= MaxVerified) _verified.Clear();
        _verified[hash] = new VerifiedCredential(agent, now);
        if (Volatile.Read(ref _generation) != generation) _verified.TryRemove(hash, out _);
        return agent;
    }

    /// <summary>
    /// Forgets the verified credentials of <paramref name="agentName"/>: the next call with one looks it up again. Called
    /// by whatever changes an agent's credential or removes the agent.
    /// </summary>
    public void Forget(string agentName)
    {
        Interlocked.Increment(ref _generation);
        foreach (var (hash, verified) in _verified)
            if (string.Equals(verified.Agent.Name, agentName, StringComparison.Ordinal)) _verified.TryRemove(hash, out _);
    }

    /// <summary>Usable without a query: verified, and the agent's last-seen time not due for writing yet.</summary>
    private bool Fresh(VerifiedCredential known, DateTimeOffset now) =>
        now >= known.VerifiedAt && now - known.VerifiedAt < SeenInterval &&
        known.Agent.LastSeenAt is { } seen && now >= seen && now - seen < SeenInterval;

    private sealed record VerifiedCredential(AgentEntity Agent, DateTimeOffset VerifiedAt);

    private const int MaxVerified = 10_000;
    private int _generation;
    private readonly ConcurrentDictionary<string, VerifiedCredential> _verified = new(StringComparer.Ordinal);

    /// <summary>How stale an agent's recorded last-seen time may get before a call writes it again: far inside <c>OfflineAfter</c>.</summary>
    public TimeSpan SeenInterval => SeenIntervalOf(options.Value.Agent);

    /// <summary><see cref="SeenInterval"/> for these settings: an eighth of <c>OfflineAfter</c>, at most 5 s.</summary>
    public static TimeSpan SeenIntervalOf(AgentOptions agent) =>
        agent.OfflineAfter / 8 is var eighth && eighth < MaxSeenInterval ? eighth : MaxSeenInterval;

    private static readonly TimeSpan MaxSeenInterval = TimeSpan.FromSeconds(5);

    /// <summary>Registers (or registers again, with a new credential) an agent; null when the registration token does not work.</summary>
    public async Task<string?> RegisterAsync(string registrationToken, RegisterAgentRequest request, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        var hash = TokenHasher.Hash(registrationToken);
        var token = await db.AgentRegistrationTokens.FirstOrDefaultAsync(t => t.TokenHash == hash && t.RevokedAt == null, cancellationToken);
        if (token is null) return null;

        var agent = await db.Agents.FirstOrDefaultAsync(a => a.Name == request.Name, cancellationToken);
        if (agent is { Embedded: true }) throw new AgentConflictException($"'{request.Name}' is the name of an agent inside the server: choose another name");
        var now = time.GetUtcNow();
        if (agent is null)
        {
            agent = new AgentEntity { Name = request.Name, RegisteredAt = now };
            db.Agents.Add(agent);
        }

        var credential = AgentCredentials.New(AgentCredentials.AgentPrefix);
        agent.CredentialHash = TokenHasher.Hash(credential);
        agent.Labels = AgentLabels.Join(request.Labels);
        agent.Capacity = request.Capacity;
        agent.Version = request.Version;
        agent.LastSeenAt = now;
        agent.RegistrationTokenId = token.Id;
        var audit = scope.ServiceProvider.GetRequiredService<Audit.AuditTrail>();
        audit.Add(new Audit.AuditEvent("agent.register", null, $"agent {agent.Name}",
            $"labels {agent.Labels}, capacity {agent.Capacity}, registration token {token.Prefix}… ({token.Name})"), actor: $"agent {agent.Name}");
        await db.SaveChangesAsync(cancellationToken);
        // The agent's previous credential stops working here at once.
        Forget(agent.Name);
        return credential;
    }

    /// <summary>
    /// An agent (re)started: it offers these labels and slots, and holds no job, so the attempts the server had given it
    /// are lost now rather than when their leases run out.
    /// </summary>
    public async Task<int> HelloAsync(AgentEntity agent, AgentHello hello, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        var now = time.GetUtcNow();
        await db.Agents.Where(a => a.Id == agent.Id).ExecuteUpdateAsync(set => set
            .SetProperty(a => a.Labels, AgentLabels.Join(hello.Labels))
            .SetProperty(a => a.Capacity, hello.Capacity)
            .SetProperty(a => a.Version, hello.Version)
            .SetProperty(a => a.LastSeenAt, now), cancellationToken);
        // What a verified credential remembers of the agent (its labels, capacity) is read again at its next call.
        Forget(agent.Name);
        var running = JobStatus.Running.ToName();
        var held = await db.Attempts.CountAsync(a => a.Agent == agent.Name && a.Status == running, cancellationToken);
        if (held == 0) return 0;
        logger.LogWarning("Agent {Agent} started again while holding {Count} attempt(s): they are lost", agent.Name, held);
        await scope.ServiceProvider.GetRequiredService<LeaseSweeper>()
            .SweepAsync(agent.Name, cancellationToken, $"lost: its agent {agent.Name} started again while the attempt ran");
        return held;
    }

    public async Task<List<AgentResponse>> ListAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        var agents = await db.Agents.AsNoTracking().OrderBy(a => a.Name).ToListAsync(cancellationToken);
        var running = JobStatus.Running.ToName();
        var jobs = (await db.Attempts.AsNoTracking().Where(a => a.Status == running && a.Agent != null)
                .Select(a => new { a.Agent, a.Job!.RunId, a.Job.JobId, a.Number }).ToListAsync(cancellationToken))
            .ToLookup(a => a.Agent!, StringComparer.Ordinal);
        var now = time.GetUtcNow();
        return agents.Select(a => new AgentResponse(a.Name, AgentLabels.Parse(a.Labels), a.Capacity,
            StatusOf(a, now, options.Value.Agent.OfflineAfter), a.LastSeenAt, a.Version,
            jobs[a.Name].OrderBy(j => j.RunId).ThenBy(j => j.JobId, StringComparer.Ordinal)
                .Select(j => new AgentRunningJob(j.RunId, j.JobId, j.Number)).ToList())).ToList();
    }
}

/// <summary>A request that cannot be carried out in the agents' current state (409).</summary>
public sealed class AgentConflictException(string message) : Exception(message);
