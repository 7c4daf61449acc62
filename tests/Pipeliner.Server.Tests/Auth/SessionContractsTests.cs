using Pipeliner.Server.Auth.Sessions;

namespace Pipeliner.Server.Tests.Auth;

public class SessionContractsTests
{
    [Theory]
    [InlineData("/runs/3/jobs/build#L9", "/runs/3/jobs/build#L9")]
    [InlineData("/projects/shop?branch=main", "/projects/shop?branch=main")]
    [InlineData("//evil.example/x", "/")]
    [InlineData("/\\evil.example", "/")]
    [InlineData("https://evil.example/", "/")]
    [InlineData("javascript:alert(1)", "/")]
    [InlineData("", "/")]
    [InlineData(null, "/")]
    public void SafeReturnPath_KeepsOnlyAPathOfThisServer_WhenGivenWhereToGoAfterSigningIn(string? next, string expected) =>
        Assert.Equal(expected, SessionContracts.SafeReturnPath(next));

    [Fact]
    public void Printable_DropsControlCharactersAndCutsLongNames_WhenANameGoesToTheAuditLog()
    {
        Assert.Equal("alice", SessionContracts.Printable(" ali\u0007ce\n"));
        Assert.Equal(new string('n', 100) + "…", SessionContracts.Printable(new string('n', 500)));
    }
}
