using Pipeliner.Engine.Kubernetes;

namespace Pipeliner.Engine.Tests.Backends.Kubernetes;

public sealed class KubernetesNamesTests
{
    [Theory]
    [InlineData("pipeliner-17-build-1-ab12cd34", "pipeliner-17-build-1-ab12cd34")]
    [InlineData("pipeliner-17-test (alpine, 3.11)-2-ab12cd34", "pipeliner-17-test-alpine-3-11-2-ab12cd34")]
    [InlineData("svc-Postgres_DB", "svc-postgres-db")]
    [InlineData("--x--", "x")]
    [InlineData("(((", "x")]
    public void DnsLabel_GivesAValidName_WhenTheTextHasOtherCharacters(string text, string expected) =>
        Assert.Equal(expected, KubernetesNames.DnsLabel(text));

    [Fact]
    public void DnsLabel_KeepsLongNamesApartWithAHash_WhenTheyExceed63Characters()
    {
        var first = KubernetesNames.DnsLabel("pipeliner-" + new string('a', 80) + "-1");
        var second = KubernetesNames.DnsLabel("pipeliner-" + new string('a', 80) + "-2");

        Assert.Equal(63, first.Length);
        Assert.NotEqual(first, second);
        Assert.Matches("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", first);
    }

    [Theory]
    [InlineData("test (bookworm, 3.13)", "test-bookworm-3.13")]
    [InlineData("shop_api", "shop_api")]
    [InlineData("", "")]
    public void LabelValue_GivesAValidValue_WhenTheTextHasOtherCharacters(string text, string expected) =>
        Assert.Equal(expected, KubernetesNames.LabelValue(text));
}
