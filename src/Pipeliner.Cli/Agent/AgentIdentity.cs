using System.Text.Json;

namespace Pipeliner.Cli.Agent;

/// <summary>
/// The agent's registration, kept in its work directory (<c>agent.json</c>, readable by its user only) so that a restart
/// with the same command reconnects as the same agent instead of registering again.
/// </summary>
internal sealed record AgentIdentity(string Server, string Name, string Credential)
{
    public const string FileName = "agent.json";

    public static AgentIdentity? Load(string workDir)
    {
        var path = Path.Combine(workDir, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<AgentIdentity>(File.ReadAllText(path), JsonSerializerOptions.Web);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Save(string workDir)
    {
        Directory.CreateDirectory(workDir);
        var path = Path.Combine(workDir, FileName);
        var partial = path + ".partial";
        File.WriteAllText(partial, "");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(partial, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(partial, JsonSerializer.Serialize(this, JsonSerializerOptions.Web));
        File.Move(partial, path, overwrite: true);
    }
}
