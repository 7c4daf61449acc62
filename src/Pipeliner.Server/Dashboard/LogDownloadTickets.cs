using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace Pipeliner.Server.Dashboard;

/// <summary>
/// A browser download cannot send an Authorization header, so a reader of a log gets a ticket instead: a signed,
/// encrypted note naming one attempt's log, valid for a few minutes, to put in the download link.
/// </summary>
public sealed class LogDownloadTickets(IDataProtectionProvider protection, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);
    private readonly ITimeLimitedDataProtector _protector =
        protection.CreateProtector("Pipeliner.Dashboard.LogDownload").ToTimeLimitedDataProtector();

    public string Issue(long runId, string job, int attempt) =>
        _protector.Protect(Subject(runId, job, attempt), time.GetUtcNow() + Lifetime);

    public bool IsValid(string? ticket, long runId, string job, int attempt)
    {
        if (string.IsNullOrEmpty(ticket)) return false;
        try
        {
            var subject = _protector.Unprotect(ticket, out var expiration);
            return expiration > time.GetUtcNow() && subject == Subject(runId, job, attempt);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static string Subject(long runId, string job, int attempt) =>
        string.Create(CultureInfo.InvariantCulture, $"{runId}\n{attempt}\n{job}");
}
