namespace Pipeliner.Engine.Tests.Support;

/// <summary>The checkout the tests run from: the folder holding <c>Pipeliner.sln</c>.</summary>
internal static class RepositoryRoot
{
    public static string Path { get; } = Find();

    public static string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "Pipeliner.sln"))) return directory.FullName;
        }

        throw new InvalidOperationException($"no Pipeliner.sln above {AppContext.BaseDirectory}");
    }
}
