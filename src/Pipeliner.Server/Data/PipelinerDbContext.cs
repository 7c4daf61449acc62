using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Data;

/// <summary>
/// The server's model. On SQLite (the default) this type is the context and its migrations are <c>Data/Migrations</c>;
/// on PostgreSQL the subclass <see cref="PostgresPipelinerDbContext"/> is, with its own migrations.
/// </summary>
public class PipelinerDbContext : DbContext, IDataProtectionKeyContext
{
    public PipelinerDbContext(DbContextOptions<PipelinerDbContext> options) : base(options)
    {
    }

    /// <summary>For a provider's subclass, which brings its own options type (and so its own migrations).</summary>
    protected PipelinerDbContext(DbContextOptions options) : base(options)
    {
    }

    public DbSet<ProjectEntity> Projects => Set<ProjectEntity>();
    public DbSet<RunEntity> Runs => Set<RunEntity>();
    public DbSet<JobEntity> Jobs => Set<JobEntity>();
    public DbSet<AttemptEntity> Attempts => Set<AttemptEntity>();
    public DbSet<ArtifactEntity> Artifacts => Set<ArtifactEntity>();
    public DbSet<WebhookDeliveryEntity> WebhookDeliveries => Set<WebhookDeliveryEntity>();
    public DbSet<UserEntity> Users => Set<UserEntity>();
    public DbSet<ApiTokenEntity> ApiTokens => Set<ApiTokenEntity>();
    public DbSet<AuditEntryEntity> AuditEntries => Set<AuditEntryEntity>();
    public DbSet<ProjectSecretEntity> ProjectSecrets => Set<ProjectSecretEntity>();
    public DbSet<ForgeStatusContextEntity> ForgeStatusContexts => Set<ForgeStatusContextEntity>();
    public DbSet<ForgeStatusUpdateEntity> ForgeStatusUpdates => Set<ForgeStatusUpdateEntity>();
    public DbSet<ForgeStatusAttemptEntity> ForgeStatusAttempts => Set<ForgeStatusAttemptEntity>();
    public DbSet<EnvironmentEntity> Environments => Set<EnvironmentEntity>();
    public DbSet<DeploymentEntity> Deployments => Set<DeploymentEntity>();
    public DbSet<ApprovalEntity> Approvals => Set<ApprovalEntity>();
    public DbSet<SessionEntity> Sessions => Set<SessionEntity>();
    public DbSet<SignInThrottleEntity> SignInThrottles => Set<SignInThrottleEntity>();
    public DbSet<AgentEntity> Agents => Set<AgentEntity>();
    public DbSet<AgentRegistrationTokenEntity> AgentRegistrationTokens => Set<AgentRegistrationTokenEntity>();
    public DbSet<RunEventEntity> RunEvents => Set<RunEventEntity>();
    public DbSet<StoredLogEntity> StoredLogs => Set<StoredLogEntity>();
    public DbSet<LogChunkEntity> LogChunks => Set<LogChunkEntity>();
    public DbSet<StoredArchiveEntity> StoredArchives => Set<StoredArchiveEntity>();
    public DbSet<ArchiveChunkEntity> ArchiveChunks => Set<ArchiveChunkEntity>();

    /// <summary>The Data Protection key ring (which encrypts secrets, webhook secrets, forge tokens), shared by every replica.</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<ReportEntity> Reports => Set<ReportEntity>();
    public DbSet<ReportFailureEntity> ReportFailures => Set<ReportFailureEntity>();
    public DbSet<ReportFindingEntity> ReportFindings => Set<ReportFindingEntity>();

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.Entity<ProjectEntity>(project =>
        {
            project.HasIndex(p => p.Name).IsUnique();
            project.Property(p => p.Name).HasMaxLength(100);
            project.Property(p => p.RetentionJson).HasMaxLength(4000);
        });
        model.Entity<RunEntity>(run =>
        {
            run.HasIndex(r => new { r.ProjectId, r.Number }).IsUnique();
            run.HasIndex(r => new { r.ProjectId, r.Branch, r.Status });
            run.HasIndex(r => r.Status);
            run.Property(r => r.PinnedBy).HasMaxLength(200);
            run.Property(r => r.LogsExpiry).HasMaxLength(500);
            run.Property(r => r.ArtifactsExpiry).HasMaxLength(500);
            run.HasMany(r => r.Jobs).WithOne(j => j.Run).HasForeignKey(j => j.RunId);
            run.HasMany(r => r.Deployments).WithOne().HasForeignKey(d => d.RunId);
        });
        model.Entity<JobEntity>(job =>
        {
            job.HasIndex(j => new { j.RunId, j.JobId }).IsUnique();
            job.HasIndex(j => j.Status);
            job.HasIndex(j => j.Ready);
            job.HasMany(j => j.Attempts).WithOne(a => a.Job).HasForeignKey(a => a.JobId);
            job.HasMany(j => j.Artifacts).WithOne().HasForeignKey(a => a.JobId);
            job.HasMany(j => j.Approvals).WithOne().HasForeignKey(a => a.JobId);
        });
        model.Entity<AttemptEntity>(attempt =>
        {
            attempt.HasIndex(a => new { a.JobId, a.Number }).IsUnique();
            attempt.HasIndex(a => a.CredentialHash).IsUnique();
            attempt.HasIndex(a => new { a.Agent, a.Status });
        });
        model.Entity<ReportEntity>(report =>
        {
            report.HasIndex(r => new { r.RunId, r.JobId, r.Attempt }).IsUnique();
            report.HasOne<RunEntity>().WithMany().HasForeignKey(r => r.RunId).OnDelete(DeleteBehavior.Cascade);
            report.HasMany(r => r.Failures).WithOne().HasForeignKey(f => f.ReportId).OnDelete(DeleteBehavior.Cascade);
            report.HasMany(r => r.Findings).WithOne().HasForeignKey(f => f.ReportId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<AgentEntity>(agent =>
        {
            agent.HasIndex(a => a.Name).IsUnique();
            agent.HasIndex(a => a.CredentialHash).IsUnique();
            agent.Property(a => a.Name).HasMaxLength(100);
        });
        model.Entity<AgentRegistrationTokenEntity>(token =>
        {
            token.HasIndex(t => t.TokenHash).IsUnique();
            token.Property(t => t.Name).HasMaxLength(100);
        });
        model.Entity<WebhookDeliveryEntity>(delivery =>
        {
            delivery.HasIndex(d => new { d.ProjectId, d.UniqueDeliveryId }).IsUnique();
            delivery.HasIndex(d => new { d.ProjectId, d.Id });
            delivery.HasIndex(d => d.Outcome);
            delivery.HasIndex(d => d.RunId);
        });
        model.Entity<UserEntity>(user =>
        {
            user.HasIndex(u => u.Name).IsUnique();
            user.Property(u => u.Name).HasMaxLength(100);
            user.HasMany(u => u.Tokens).WithOne(t => t.User).HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Restrict);
            user.HasIndex(u => new { u.OidcIssuer, u.OidcSubject }).IsUnique();
        });
        model.Entity<SessionEntity>(session =>
        {
            session.HasIndex(s => s.TokenHash).IsUnique();
            session.HasIndex(s => s.ExpiresAt);
            session.HasOne(s => s.User).WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<SignInThrottleEntity>(throttle =>
        {
            throttle.HasIndex(t => t.Key).IsUnique();
            throttle.Property(t => t.Key).HasMaxLength(200);
        });
        model.Entity<ApiTokenEntity>().HasIndex(t => t.TokenHash).IsUnique();
        // One row per key: replicas importing the same key file at once (DataProtectionKeyImport) store it once.
        model.Entity<DataProtectionKey>().HasIndex(k => k.FriendlyName).IsUnique();
        model.Entity<RunEventEntity>(runEvent =>
        {
            runEvent.HasIndex(e => new { e.RunId, e.Id });
            runEvent.HasIndex(e => e.CreatedAt);
            runEvent.Property(e => e.Type).HasMaxLength(20);
        });
        model.Entity<StoredLogEntity>(log =>
        {
            log.HasKey(l => l.Path);
            log.Property(l => l.Path).HasMaxLength(400);
        });
        model.Entity<LogChunkEntity>(chunk =>
        {
            chunk.HasKey(c => new { c.Path, c.Offset });
            chunk.Property(c => c.Path).HasMaxLength(400);
            chunk.HasOne<StoredLogEntity>().WithMany().HasForeignKey(c => c.Path).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<StoredArchiveEntity>(archive =>
        {
            archive.HasIndex(a => new { a.Kind, a.Owner, a.Name, a.Complete });
            archive.Property(a => a.Kind).HasMaxLength(16);
            archive.Property(a => a.Owner).HasMaxLength(200);
            archive.Property(a => a.Name).HasMaxLength(400);
            archive.Property(a => a.Generation).HasMaxLength(32);
            archive.Property(a => a.Path).HasMaxLength(1000);
            archive.Property(a => a.File).HasMaxLength(64);
            archive.Property(a => a.Sha256).HasMaxLength(64);
        });
        model.Entity<ArchiveChunkEntity>(chunk =>
        {
            chunk.HasKey(c => new { c.ArchiveId, c.Index });
            chunk.HasOne<StoredArchiveEntity>().WithMany().HasForeignKey(c => c.ArchiveId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<AuditEntryEntity>().HasIndex(e => e.Project);
        model.Entity<ProjectSecretEntity>(secret =>
        {
            secret.HasIndex(s => new { s.ProjectId, s.Name, s.Environment }).IsUnique();
            secret.HasOne(s => s.Project).WithMany().HasForeignKey(s => s.ProjectId).OnDelete(DeleteBehavior.Cascade);
            secret.Property(s => s.Name).HasMaxLength(128);
            secret.Property(s => s.Environment).HasMaxLength(100);
        });
        model.Entity<ForgeStatusContextEntity>(context =>
        {
            context.HasIndex(c => new { c.RunId, c.Context }).IsUnique();
            context.HasOne<RunEntity>().WithMany().HasForeignKey(c => c.RunId);
            context.HasMany(c => c.Updates).WithOne(u => u.Context).HasForeignKey(u => u.ContextId);
        });
        model.Entity<ForgeStatusUpdateEntity>().HasMany(u => u.Attempts).WithOne(a => a.Update).HasForeignKey(a => a.UpdateId);
        model.Entity<ApprovalEntity>().HasIndex(a => new { a.JobId, a.Round, a.Approver }).IsUnique();
        model.Entity<EnvironmentEntity>(environment =>
        {
            environment.HasIndex(e => new { e.ProjectId, e.Name }).IsUnique();
            environment.Property(e => e.Name).HasMaxLength(100);
            environment.HasOne<ProjectEntity>().WithMany().HasForeignKey(e => e.ProjectId);
        });
        model.Entity<DeploymentEntity>(deployment =>
        {
            deployment.HasIndex(d => new { d.ProjectId, d.Environment, d.Id });
            deployment.HasIndex(d => new { d.RunId, d.Environment });
            deployment.HasOne<ProjectEntity>().WithMany().HasForeignKey(d => d.ProjectId);
        });
    }

    /// <summary>The audit log is append-only: an entry is never changed or removed once written.</summary>
    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        GuardAuditLog();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        GuardAuditLog();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    private void GuardAuditLog()
    {
        if (ChangeTracker.Entries<AuditEntryEntity>().Any(e => e.State is EntityState.Modified or EntityState.Deleted))
            throw new InvalidOperationException("the audit log is append-only: entries are never changed or deleted");
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configuration)
    {
        // SQLite cannot order or compare DateTimeOffset; store UTC ticks, which sort correctly — on PostgreSQL too, so that
        // the model, and the little SQL written by hand, is the same on both.
        configuration.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToTicksConverter>();
        configuration.Properties<DateTimeOffset?>().HaveConversion<DateTimeOffsetToTicksConverter>();
    }
}
