using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pipeliner.Server.Agents;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;

namespace Pipeliner.Server.Tests.Auth;

/// <summary>
/// The bearer scheme runs for every request without a session cookie: it asks the database only for a user's token.
/// The services here make any use of the database fail, so a lookup (or a context leased for nothing) shows.
/// </summary>
public sealed class BearerTokenHandlerTests
{
    public static TheoryData<string?> NoUserToken => new()
    {
        null,
        "Basic dXNlcjpwYXNz",
        "Bearer " + AgentCredentials.AgentPrefix + "an-agents-credential",
    };

    [Theory]
    [MemberData(nameof(NoUserToken))]
    public async Task HandleAuthenticateAsync_AnswersNoResultWithoutTheDatabase_WhenTheRequestCarriesNoUserToken(string? authorization)
    {
        await using var services = ServicesWithoutADatabase();

        var result = await AuthenticateAsync(services, authorization);

        Assert.True(result.None, "no result: the agent endpoints and anonymous routes decide for themselves");
    }

    [Fact]
    public async Task HandleAuthenticateAsync_LooksTheTokenUp_WhenTheRequestCarriesAUsersToken()
    {
        await using var services = ServicesWithoutADatabase();

        var asked = await Assert.ThrowsAsync<InvalidOperationException>(() => AuthenticateAsync(services, "Bearer " + TokenHasher.NewToken()));

        Assert.Equal(DatabaseAsked, asked.Message);
    }

    private const string DatabaseAsked = "the database was asked for";

    private static ServiceProvider ServicesWithoutADatabase()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        services.AddScoped<PipelinerDbContext>(_ => throw new InvalidOperationException(DatabaseAsked));
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
    }

    private static async Task<AuthenticateResult> AuthenticateAsync(ServiceProvider services, string? authorization)
    {
        await using var scope = services.CreateAsyncScope();
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        if (authorization is not null) http.Request.Headers.Authorization = authorization;
        return await http.AuthenticateAsync(BearerTokenHandler.SchemeName);
    }
}
