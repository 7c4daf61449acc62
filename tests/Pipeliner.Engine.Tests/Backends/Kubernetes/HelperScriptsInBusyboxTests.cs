using System.Formats.Tar;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Pipeliner.Engine.Backends;
using Pipeliner.Engine.Kubernetes;
using Pipeliner.Engine.Tests.Support;
using Pipeliner.Engine.Tests.Support.Kubernetes;

namespace Pipeliner.Engine.Tests.Backends.Kubernetes;

/// <summary>
/// The init container's fetch, exactly as the Pod spec has it (command, environment, the Secret's credential), run
/// for real in busybox against an HTTP server on 127.0.0.1 that checks the credential, as the kubelet would run it.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class HelperScriptsInBusyboxTests(DockerEngineFixture engine) : IAsyncLifetime
{
    private const string Credential = "attempt-7-credential";
    private readonly TempDirectory _workspace = new("k8s-workspace");
    private readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private WebApplication? _server;
    private Uri _address = null!;

    [Fact]
    public async Task FetchScript_FillsTheWorkspaceWithTheTreeAndTheArtifacts_WhenRunAsThePodSaysInBusybox()
    {
        _files["/source.tar"] = Tar(("README.md", "shop api\n"), ("src/main.c", "int main(void) { return 0; }\n"));
        _files["/artifacts/package/0"] = Tar(("app.tar.gz", "the packaged bytes"));
        _files["/artifacts/build/0"] = Tar(("bin/", null), ("bin/tool", "#!/bin/sh\n"));

        var result = await RunFetchAsync(
            new ArchiveDownload("dist/app.tar.gz", Url("/artifacts/package/0"), Sha256(_files["/artifacts/package/0"])),
            new ArchiveDownload("out dir/bin", Url("/artifacts/build/0"), Sha256(_files["/artifacts/build/0"])));

        Assert.True(result.ExitCode == 0, Encoding.UTF8.GetString(result.Stderr));
        Assert.Equal("shop api\n", await File.ReadAllTextAsync(_workspace.Combine("README.md")));
        Assert.Equal("int main(void) { return 0; }\n", await File.ReadAllTextAsync(_workspace.Combine("src", "main.c")));
        Assert.Equal("the packaged bytes", await File.ReadAllTextAsync(_workspace.Combine("dist", "app.tar.gz")));
        Assert.Equal("#!/bin/sh\n", await File.ReadAllTextAsync(_workspace.Combine("out dir", "bin", "tool")));
        Assert.Equal("pipeliner: workspace ready\n", Encoding.UTF8.GetString(result.Stdout));
    }

    [Fact]
    public async Task FetchScript_FailsNamingThePath_WhenAnArchiveIsNotTheRecordedBytes()
    {
        _files["/source.tar"] = Tar(("README.md", "x\n"));
        _files["/artifacts/package/0"] = Tar(("app.tar.gz", "tampered"));
        var recorded = new string('0', 64);

        var result = await RunFetchAsync(new ArchiveDownload("dist/app.tar.gz", Url("/artifacts/package/0"), recorded));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"pipeliner: cannot restore 'dist/app.tar.gz': its archive has sha256 {Sha256(_files["/artifacts/package/0"])}, not the recorded {recorded}\n",
            Encoding.UTF8.GetString(result.Stderr));
        Assert.False(File.Exists(_workspace.Combine("dist", "app.tar.gz")));
    }

    [Fact]
    public async Task FetchScript_RefusesToRestoreThroughASymbolicLink_WhenTheCommitHasOne()
    {
        _files["/source.tar"] = Tar(("README.md", "x\n"));
        _files["/artifacts/package/0"] = Tar(("app.tar.gz", "bytes"));
        await using (var source = new MemoryStream())
        {
            await using (var writer = new TarWriter(source, leaveOpen: true))
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, "dist") { LinkName = "/etc" });
            _files["/source.tar"] = source.ToArray();
        }

        var result = await RunFetchAsync(new ArchiveDownload("dist/app.tar.gz", Url("/artifacts/package/0"), Sha256(_files["/artifacts/package/0"])));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("pipeliner: cannot restore 'dist/app.tar.gz': 'dist' in the workspace is a symbolic link\n", Encoding.UTF8.GetString(result.Stderr));
    }

    [Fact]
    public async Task FetchScript_FailsSayingWhatItCouldNotDownload_WhenTheServerRefusesTheCredential()
    {
        _files["/source.tar"] = Tar(("README.md", "x\n"));

        var result = await RunFetchAsync(credential: "expired-credential");

        Assert.Equal(1, result.ExitCode);
        var errors = Encoding.UTF8.GetString(result.Stderr);
        Assert.Contains("401", errors, StringComparison.Ordinal);
        Assert.EndsWith($"pipeliner: cannot download the commit's tree from {Url("/source.tar")}\n", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ArchiveCommand_WritesATarOfThePathAndSaysWhenItIsMissing_WhenRunInBusybox()
    {
        Directory.CreateDirectory(_workspace.Combine("TestResults", "unit"));
        await File.WriteAllTextAsync(_workspace.Combine("TestResults", "unit", "results.trx"), "<TestRun/>");

        var found = await BusyboxContainer.RunAsync(engine.Client, HelperScripts.ArchiveCommand("TestResults/unit"), new Dictionary<string, string>(), _workspace.Path);
        var missing = await BusyboxContainer.RunAsync(engine.Client, HelperScripts.ArchiveCommand("coverage"), new Dictionary<string, string>(), _workspace.Path);

        Assert.Equal(0, found.ExitCode);
        var entries = new List<string>();
        await using (var reader = new TarReader(new MemoryStream(found.Stdout)))
        {
            while (await reader.GetNextEntryAsync() is { } entry) entries.Add(entry.Name);
        }

        Assert.Equal(["unit/", "unit/results.trx"], entries);
        Assert.Equal(HelperScripts.PathMissingExitCode, missing.ExitCode);
    }

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        _server = builder.Build();
        _server.Run(async context =>
        {
            if (context.Request.Headers.Authorization != $"Bearer {Credential}") context.Response.StatusCode = 401;
            else if (_files.TryGetValue(context.Request.Path.Value ?? "", out var bytes)) await context.Response.Body.WriteAsync(bytes);
            else context.Response.StatusCode = 404;
        });
        await _server.StartAsync();
        _address = new Uri(_server.Urls.First());
    }

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        // Files the container wrote as root: removed through a container too, then the folder.
        await BusyboxContainer.RunAsync(engine.Client, ["/bin/sh", "-c", "rm -rf /workspace/* /workspace/.[!.]*"], new Dictionary<string, string>(), _workspace.Path);
        _workspace.Dispose();
    }

    /// <summary>Runs the Pod's init container as built for a job whose fetch lists <paramref name="archives"/>.</summary>
    private async Task<ExecResult> RunFetchAsync(params ArchiveDownload[] archives) => await RunFetchAsync(Credential, archives);

    private async Task<ExecResult> RunFetchAsync(string credential, params ArchiveDownload[] archives)
    {
        var options = new KubernetesBackendOptions { AgentName = "a", HelperImage = DockerEngineFixture.ServiceImage };
        var workflow = new WorkflowSpec("17-build-1-abcd", "17", "build", "", [new StepSpec { Name = "script", Kind = StepKind.Script, Image = "alpine:3" }])
        {
            Fetch = new WorkspaceFetch(Url("/source.tar"), archives, credential),
        };
        var (secret, pod) = new PodBuilder(options, "owner", "owner").Build(workflow);
        var init = pod.Spec.InitContainers.Single();
        var environment = init.Env.ToDictionary(e => e.Name, e => e.Value ?? secret.StringData[e.ValueFrom.SecretKeyRef.Key]);
        return await BusyboxContainer.RunAsync(engine.Client, init.Command.ToList(), environment, _workspace.Path);
    }

    private Uri Url(string path) => new(_address, path);

    private static byte[] Tar(params (string Name, string? Text)[] entries)
    {
        using var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, leaveOpen: true))
        {
            foreach (var (name, text) in entries)
            {
                var entry = new PaxTarEntry(text is null ? TarEntryType.Directory : TarEntryType.RegularFile, name);
                if (text is not null) entry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text));
                writer.WriteEntry(entry);
            }
        }

        return stream.ToArray();
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
