using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Engine.Execution;
using Pipeliner.Server.Data;

namespace Pipeliner.Server.ProjectSecrets;

/// <summary>A secret's value in clear, and the environment it is for (null: every job of the project).</summary>
public sealed record StoredSecret(string Name, string? Environment, string Value);

/// <summary>Encrypts secret values for storage and reads back those a run's jobs may receive.</summary>
public sealed class SecretVault(PipelinerDbContext db, IDataProtectionProvider protection, ILogger<SecretVault> logger)
{
    /// <summary>Its own purpose: a value protected for webhooks or forge tokens cannot be read as a secret, nor the reverse.</summary>
    public const string Purpose = "Pipeliner.Projects.Secrets";

    public string Protect(string value) => protection.CreateProtector(Purpose).Protect(value);

    /// <summary>
    /// Every value of the project's secrets, whatever a run's trust and environment: what its logs are masked with
    /// (<c>LogMasking</c>). A value that cannot be decrypted is left out, and logged: it is not masked.
    /// </summary>
    public async Task<IReadOnlyList<string>> AllValuesOfProjectAsync(int projectId, CancellationToken cancellationToken)
    {
        var protector = protection.CreateProtector(Purpose);
        var stored = await db.ProjectSecrets.AsNoTracking().Where(s => s.ProjectId == projectId).Select(s => new { s.Name, s.ValueProtected }).ToListAsync(cancellationToken);
        var values = new List<string>();
        foreach (var secret in stored)
        {
            try
            {
                values.Add(protector.Unprotect(secret.ValueProtected));
            }
            catch (CryptographicException e)
            {
                // Keys lost: the value is unknown, and so is what to mask.
                logger.LogWarning(e, "Secret {Name} of project {ProjectId} cannot be decrypted and is not masked in logs or search; set it again", secret.Name, projectId);
            }
        }

        return values;
    }

    /// <summary>The secrets of the run's project, or a withholding when the run is a pull request from a fork the project does not trust.</summary>
    public async Task<RunSecrets> ForRunAsync(long runId, CancellationToken cancellationToken)
    {
        // The run's trust and its project's secrets in one query (a claim reads them for every job it starts); a value
        // is decrypted only for a run that may receive it.
        var run = await RunTrustOf.For(db)(db, runId, cancellationToken);
        if (run is null) return RunSecrets.None;
        if (run.FromFork && !run.AllowSecretsForForks) return RunSecrets.WithheldFromFork;

        var protector = protection.CreateProtector(Purpose);
        var secrets = new List<StoredSecret>();
        foreach (var secret in run.Stored)
        {
            try
            {
                secrets.Add(new StoredSecret(secret.Name, SecretContracts.EnvironmentOf(secret), protector.Unprotect(secret.ValueProtected)));
            }
            catch (CryptographicException e)
            {
                // Keys lost or replaced: the secret counts as not stored, so a job listing it fails saying which, rather than never starting.
                logger.LogError(e, "Secret {Name} of project {ProjectId} cannot be decrypted with the Data Protection keys; set it again", secret.Name, run.ProjectId);
            }
        }

        return new RunSecrets(secrets, null);
    }

    // Every claim asks: compiled once, not funcletized and looked up per call.
    private static readonly CompiledPerModel<Func<PipelinerDbContext, long, CancellationToken, Task<RunTrust?>>> RunTrustOf = new(() =>
        EF.CompileAsyncQuery((PipelinerDbContext db, long runId, CancellationToken _) => db.Runs.AsNoTracking().Where(r => r.Id == runId)
            .Select(r => new RunTrust(r.ProjectId, r.FromFork, r.Project!.AllowSecretsForForks,
                db.ProjectSecrets.Where(s => s.ProjectId == r.ProjectId).OrderBy(s => s.Id).ToList()))
            .FirstOrDefault()));

    private sealed record RunTrust(int ProjectId, bool FromFork, bool AllowSecretsForForks, List<Data.Entities.ProjectSecretEntity> Stored);
}

/// <summary>What a run's jobs may receive: the project's secrets, or nothing and the reason why.</summary>
public sealed class RunSecrets(IReadOnlyList<StoredSecret> secrets, string? withheldReason)
{
    public const string ForkReason = "secrets are not given to pull requests from forks";

    public static readonly RunSecrets None = new([], null);

    public static readonly RunSecrets WithheldFromFork = new([], ForkReason);

    /// <summary>Every value of the run's project, to mask wherever the run's logs are stored.</summary>
    public IReadOnlyList<string> Values => secrets.Select(s => s.Value).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>
    /// The assignment with the secrets its job lists (an environment's value over the project-wide one) and every
    /// value of the project to mask in its log.
    /// </summary>
    public JobAssignment Apply(JobAssignment assignment)
    {
        if (withheldReason is not null) return assignment with { SecretsWithheldReason = withheldReason };
        var spec = assignment.Job.Spec;
        var given = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in spec.Secrets)
        {
            var chosen = secrets.FirstOrDefault(s => s.Name == name && s.Environment is not null && s.Environment == spec.Environment)
                ?? secrets.FirstOrDefault(s => s.Name == name && s.Environment is null);
            if (chosen is not null) given[name] = chosen.Value;
        }

        return assignment with { Secrets = given, MaskedValues = secrets.Select(s => s.Value).Distinct(StringComparer.Ordinal).ToList() };
    }
}
