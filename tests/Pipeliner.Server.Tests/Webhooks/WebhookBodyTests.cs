using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeliner.Engine.Storage;
using Pipeliner.Forges;
using Pipeliner.Server.Settings;
using Pipeliner.Server.Tests.Support;
using Pipeliner.Server.Webhooks;

namespace Pipeliner.Server.Tests.Webhooks;

/// <summary>Reading unauthenticated webhook bodies within the memory and spool budgets, into real temporary files.</summary>
public sealed class WebhookBodyTests : IDisposable
{
    private const string Secret = "body-test-secret";
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task ReadAsync_HoldsNoMoreThanTheMemoryBudgetAndSpoolsTheRest_WhenBodiesAreReadAtOnce()
    {
        var budgets = Budgets(memory: 100 * 1024, spool: 10 * 1024 * 1024);
        var payloads = Enumerable.Range(0, 4).Select(_ => RandomNumberGenerator.GetBytes(300 * 1024)).ToList();

        var reads = await Task.WhenAll(payloads.Select(payload => ReadAsync(budgets, payload, keep: true)));

        Assert.All(reads, read => Assert.Equal(BodyReadResult.Complete, read.Result));
        Assert.InRange(budgets.Memory.InUse, 1, budgets.Memory.Capacity);
        Assert.Equal(payloads.Sum(p => (long)p.Length) - budgets.Memory.InUse, budgets.Spool.InUse);
        Assert.NotEmpty(Directory.GetFiles(budgets.SpoolDirectory));
        for (var i = 0; i < reads.Length; i++)
        {
            Assert.True(reads[i].Matches);
            Assert.Equal(payloads[i], (await reads[i].Body!.ReadAllAsync(CancellationToken.None)).ToArray());
            await reads[i].Body!.DisposeAsync();
        }

        Assert.Equal((0L, 0L), (budgets.Memory.InUse, budgets.Spool.InUse));
        Assert.Empty(Directory.GetFiles(budgets.SpoolDirectory));
    }

    [Fact]
    public async Task ReadAllAsync_ReturnsTheWholeBodyAndDisposeGivesTheMemoryBack_WhenTheBodyWasKeptInMemoryAlone()
    {
        var budgets = Budgets(memory: 1024 * 1024, spool: 1024 * 1024);
        var payload = RandomNumberGenerator.GetBytes(8 * 1024);

        var read = await ReadAsync(budgets, payload, keep: true);
        var bytes = (await read.Body!.ReadAllAsync(CancellationToken.None)).ToArray();
        await read.Body.DisposeAsync();

        Assert.Equal((BodyReadResult.Complete, true), (read.Result, read.Matches));
        Assert.Equal(payload, bytes);
        Assert.Equal((0L, 0L), (budgets.Memory.InUse, budgets.Spool.InUse));
        Assert.False(Directory.Exists(budgets.SpoolDirectory));
    }

    [Fact]
    public async Task ReadAllAsync_ReturnsTheBodyAlone_WhenItCameWithoutALengthAndFilledPartOfItsMemory()
    {
        var budgets = Budgets(memory: 1024 * 1024, spool: 1024 * 1024);
        var payload = RandomNumberGenerator.GetBytes(10_000);

        var read = await ReadAsync(budgets, payload, keep: true, announceLength: false);
        var body = await read.Body!.ReadAllAsync(CancellationToken.None);

        Assert.Equal((BodyReadResult.Complete, true), (read.Result, read.Matches));
        Assert.Equal(payload, body.ToArray()); // not the rest of the memory taken for it (64 KiB without a length)
        Assert.Equal(UnverifiedBodies.InMemoryPerBody, budgets.Memory.InUse);
        await read.Body.DisposeAsync();
        Assert.Equal(0L, budgets.Memory.InUse);
    }

    [Fact]
    public async Task ReadAsync_ReturnsBusyAndGivesEverythingBack_WhenTheSpoolBudgetIsUsedUp()
    {
        var budgets = Budgets(memory: 0, spool: 100 * 1024);

        var read = await ReadAsync(budgets, RandomNumberGenerator.GetBytes(200 * 1024), keep: true);

        Assert.Equal((BodyReadResult.Busy, null), (read.Result, read.Body));
        Assert.Equal((0L, 0L), (budgets.Memory.InUse, budgets.Spool.InUse));
        Assert.Empty(Directory.GetFiles(budgets.SpoolDirectory));
    }

    [Fact]
    public async Task ReadAsync_ChecksTheSignatureButKeepsNothing_WhenThereIsNoProjectToDeliverTo()
    {
        var budgets = Budgets(memory: 1024 * 1024, spool: 1024 * 1024);

        var read = await ReadAsync(budgets, RandomNumberGenerator.GetBytes(200 * 1024), keep: false);

        Assert.Equal((BodyReadResult.Complete, null, true), (read.Result, read.Body, read.Matches));
        Assert.Equal((0L, 0L), (budgets.Memory.InUse, budgets.Spool.InUse));
        Assert.False(Directory.Exists(budgets.SpoolDirectory));
    }

    [Fact]
    public async Task ReadAsync_ReturnsTooLargeAndGivesEverythingBack_WhenTheBodyIsOver25MiB()
    {
        var budgets = Budgets(memory: 1024 * 1024, spool: 100 * 1024 * 1024);

        var read = await ReadAsync(budgets, new byte[WebhookBody.MaxBytes + 1], keep: true);

        Assert.Equal((BodyReadResult.TooLarge, null), (read.Result, read.Body));
        Assert.Equal((0L, 0L), (budgets.Memory.InUse, budgets.Spool.InUse));
        Assert.Empty(Directory.GetFiles(budgets.SpoolDirectory));
    }

    private UnverifiedBodies Budgets(long memory, long spool) => new(
        Options.Create(new PipelinerOptions { Webhooks = { UnverifiedMemoryBytes = memory, UnverifiedSpoolBytes = spool } }),
        new DataLayout(_directory.Combine("data")), NullLogger<UnverifiedBodies>.Instance);

    private static async Task<(BodyReadResult Result, WebhookBody? Body, bool Matches)> ReadAsync(
        UnverifiedBodies budgets, byte[] payload, bool keep, bool announceLength = true)
    {
        var context = new DefaultHttpContext();
        context.Request.Body = new MemoryStream(payload);
        if (announceLength) context.Request.ContentLength = payload.Length;
        var signature = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Secret), payload));
        using var check = WebhookSignature.Start(Forge.GitHub, name => name == ForgeHeaders.GitHubSignature256 ? signature : null, Secret);

        var (result, body) = await WebhookBody.ReadAsync(context.Request, check, budgets, keep, CancellationToken.None);

        return (result, body, result == BodyReadResult.Complete && check.Matches());
    }
}
