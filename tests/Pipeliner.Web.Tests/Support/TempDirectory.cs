namespace Pipeliner.Web.Tests.Support;

/// <summary>A directory of its own for a test, removed afterwards.</summary>
public sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("pipeliner-web-").FullName;

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by an ending process; the temporary directory is cleaned by the system later.
        }
        catch (UnauthorizedAccessException)
        {
            // Files written by containers as another user.
        }
    }
}
