using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Auth;

/// <summary>
/// Password hashing with ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/> (its V3 format: PBKDF2 with
/// HMAC-SHA512, a random 128-bit salt, <see cref="Iterations"/> iterations), and the password policy. A check for a
/// user without a password (or no user at all) still hashes once, so that its answer takes as long as a real one.
/// </summary>
public sealed class Passwords
{
    /// <summary>OWASP's 2023 figure for PBKDF2-HMAC-SHA512; stored hashes with fewer are upgraded at their next sign-in.</summary>
    public const int Iterations = 210_000;

    /// <summary>Longer input is refused before hashing, so that a request cannot make the server hash megabytes.</summary>
    public const int MaxLength = 1024;

    private readonly PasswordHasher<UserEntity> _hasher =
        new(Options.Create(new PasswordHasherOptions { IterationCount = Iterations, CompatibilityMode = PasswordHasherCompatibilityMode.IdentityV3 }));

    private readonly UserEntity _nobody = new() { Name = "", Role = "" };
    private readonly string _decoy;
    private readonly IOptions<PipelinerOptions> _options;

    public Passwords(IOptions<PipelinerOptions> options)
    {
        _options = options;
        _decoy = _hasher.HashPassword(_nobody, Guid.NewGuid().ToString());
    }

    public int MinLength => _options.Value.Auth.PasswordMinLength;

    /// <summary>What is wrong with <paramref name="password"/> as <paramref name="userName"/>'s new password; null when it is fine.</summary>
    public string? Problem(string? password, string userName)
    {
        if (string.IsNullOrEmpty(password) || password.Length < MinLength)
            return $"at least {MinLength} characters (Pipeliner:Auth:PasswordMinLength)";
        if (password.Length > MaxLength) return $"at most {MaxLength} characters";
        if (string.Equals(password.Trim(), userName, StringComparison.OrdinalIgnoreCase)) return "must not be the user name";
        return null;
    }

    public void Set(UserEntity user, string password, DateTimeOffset now)
    {
        user.PasswordHash = _hasher.HashPassword(user, password);
        user.PasswordChangedAt = now;
    }

    /// <summary>
    /// Whether <paramref name="password"/> is <paramref name="user"/>'s; false for no user or no password, after the
    /// same work. A hash made with older settings is replaced (the caller saves).
    /// </summary>
    public bool Verify(UserEntity? user, string? password)
    {
        if (string.IsNullOrEmpty(password) || password.Length > MaxLength) password = "";
        if (user?.PasswordHash is not { } hash)
        {
            _hasher.VerifyHashedPassword(_nobody, _decoy, password);
            return false;
        }

        var result = _hasher.VerifyHashedPassword(user, hash, password);
        if (result == PasswordVerificationResult.SuccessRehashNeeded) user.PasswordHash = _hasher.HashPassword(user, password);
        return result != PasswordVerificationResult.Failed;
    }
}
