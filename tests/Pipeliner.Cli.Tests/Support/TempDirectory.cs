using System.Text;

namespace Pipeliner.Cli.Tests.Support;

/// <summary>A fresh directory for one test's files, deleted afterwards.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("pipeliner-tests-").FullName;
    }

    public string Path { get; }

    public string Write(string name, string text) => Write(name, new UTF8Encoding(false).GetBytes(text));

    public string Write(string name, byte[] bytes)
    {
        var path = System.IO.Path.Combine(Path, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temporary directory is not a test failure.
        }
    }
}
