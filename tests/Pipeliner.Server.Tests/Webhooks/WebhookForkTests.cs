using Pipeliner.Forges;
using Pipeliner.Server.Webhooks;

namespace Pipeliner.Server.Tests.Webhooks;

/// <summary>Which webhook runs count as coming from a fork (and so get no secrets unless the project allows it).</summary>
public class WebhookForkTests
{
    [Theory]
    [InlineData(ForgeEventKind.PullRequest, true, true)]
    [InlineData(ForgeEventKind.PullRequest, null, true)]
    [InlineData(ForgeEventKind.PullRequest, false, false)]
    [InlineData(ForgeEventKind.Push, null, false)]
    [InlineData(ForgeEventKind.Tag, null, false)]
    public void ToTrigger_MarksForks_WhenThePullRequestIsFromAnotherOrAnUnknownRepository(ForgeEventKind kind, bool? fromFork, bool expected)
    {
        var forgeEvent = new ForgeEvent
        {
            Forge = Forge.GitHub, Kind = kind, DeliveryId = "d", Branch = "main", CommitSha = new string('a', 40), FromFork = fromFork,
        };

        Assert.Equal(expected, DeliveryProcessor.ToTrigger(forgeEvent).FromFork);
    }
}
