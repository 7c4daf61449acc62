using System.Reflection;

namespace Pipeliner.Web.Tests.Support;

/// <summary>Places in the checkout the tests work with.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string Web => Path.Combine(Root, "web");

    public static string Screenshots => Directory.CreateDirectory(Path.Combine(Root, "artifacts", "screenshots")).FullName;

    public static string Figures => Directory.CreateDirectory(Path.Combine(Root, "artifacts", "figures")).FullName;

    /// <summary>The configuration this test assembly (and so the server it references) was built in.</summary>
    public static string Configuration { get; } = typeof(Repository).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .First(a => a.Key == "Configuration").Value!;

    public static string ServerDll => Path.Combine(Root, "src", "Pipeliner.Server", "bin", Configuration, "net10.0", "Pipeliner.Server.dll");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Pipeliner.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException($"no Pipeliner.sln above {AppContext.BaseDirectory}");
    }
}
