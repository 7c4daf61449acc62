using System.Text.RegularExpressions;
using Pipeliner.TestSupport.Containers;

namespace Pipeliner.Server.Tests.Deploy;

/// <summary>
/// <c>deploy/docker/*.Dockerfile</c> cannot be built here (no registry for the official .NET images), so what can be
/// checked without building is: they build from the repository's root with files that exist, on the official images,
/// and the programs their entrypoints name are what the projects they publish produce.
/// </summary>
public sealed partial class DockerfilesTests
{
    private static readonly string Root = OfflineImages.RepositoryRoot();

    [Theory]
    [InlineData("server.Dockerfile", "src/Pipeliner.Server/Pipeliner.Server.csproj", "/app/Pipeliner.Server")]
    [InlineData("agent.Dockerfile", "src/Pipeliner.Cli/Pipeliner.Cli.csproj", "pipeliner")]
    public void Dockerfile_CopiesExistingFilesAndPublishesTheProjectItsEntrypointRuns_WhenRead(string dockerfile, string project, string entrypoint)
    {
        var text = File.ReadAllText(Path.Combine(Root, "deploy", "docker", dockerfile));

        var froms = FromLine().Matches(text).Select(m => m.Groups[1].Value).ToList();
        Assert.All(froms, image => Assert.StartsWith("mcr.microsoft.com/dotnet/", image, StringComparison.Ordinal));
        Assert.Contains(froms, image => image.StartsWith("mcr.microsoft.com/dotnet/sdk:", StringComparison.Ordinal));
        // Every COPY from the build context names files of this repository.
        var sources = CopyLine().Matches(text).SelectMany(m => m.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..^1]).ToList();
        Assert.NotEmpty(sources);
        Assert.All(sources, source => Assert.True(Path.Exists(Path.Combine(Root, source)), $"{dockerfile} copies {source}, which does not exist"));
        Assert.Contains($"dotnet publish {project}", text, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(Root, project)), project);
        Assert.True(File.Exists(Path.Combine(Root, $"deploy/docker/{dockerfile}.dockerignore")), "no .dockerignore: bin/ and obj/ would be sent");

        var stage = DockerfileStage.ReadFinal(Path.Combine(Root, "deploy", "docker", dockerfile));
        Assert.Equal(entrypoint, stage.Entrypoint![0]);
        var assemblyName = Regex.Match(File.ReadAllText(Path.Combine(Root, project)), "<AssemblyName>(.+)</AssemblyName>") is { Success: true } named
            ? named.Groups[1].Value
            : Path.GetFileNameWithoutExtension(project);
        Assert.Equal(assemblyName, Path.GetFileName(entrypoint));
        Assert.Equal($"{OfflineImages.UserId}:{OfflineImages.UserId}", stage.User);
    }

    [GeneratedRegex(@"^FROM\s+(\S+)", RegexOptions.Multiline)]
    private static partial Regex FromLine();

    // COPY without --from: from the build context.
    [GeneratedRegex(@"^COPY\s+(?!--from)([^\n]+)$", RegexOptions.Multiline)]
    private static partial Regex CopyLine();
}
