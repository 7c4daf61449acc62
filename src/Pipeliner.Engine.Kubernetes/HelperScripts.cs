using System.Text;
using Pipeliner.Engine.Backends;

namespace Pipeliner.Engine.Kubernetes;

/// <summary>
/// The POSIX shell the helper image runs (busybox or any image with sh, wget, tar and sha256sum): the init container
/// that fills the workspace from the server, the helper container that stays up, and the archive command run in it.
/// Values reach the scripts as environment variables and arguments, never spliced into the script text.
/// </summary>
internal static class HelperScripts
{
    public const string SourceUrlVariable = "PIPELINER_SOURCE_URL";
    public const string ArchivesVariable = "PIPELINER_ARCHIVES";
    public const string CredentialVariable = "PIPELINER_FETCH_TOKEN";

    /// <summary>An archive's path is missing (the archive command's exit code).</summary>
    public const int PathMissingExitCode = 66;

    /// <summary>
    /// Downloads the commit's tree and extracts it into the workspace, then each archive (one line each:
    /// <c>sha256 url path</c>), checking its digest and refusing a symbolic link on the way to where it goes.
    /// </summary>
    public const string Fetch = """
        set -eu
        fail() { echo "pipeliner: $*" >&2; exit 1; }
        download() { wget -q -O "$2" --header "Authorization: Bearer $PIPELINER_FETCH_TOKEN" "$1"; }
        download "$PIPELINER_SOURCE_URL" /tmp/source.tar || fail "cannot download the commit's tree from $PIPELINER_SOURCE_URL"
        tar -xf /tmp/source.tar -C /workspace || fail "the commit's tree from $PIPELINER_SOURCE_URL is not a tar archive"
        rm -f /tmp/source.tar
        printf '%s\n' "${PIPELINER_ARCHIVES:-}" | while read -r digest url path; do
          [ -n "$digest" ] || continue
          download "$url" /tmp/archive.tar || fail "cannot download '$path' from $url"
          actual=$(sha256sum /tmp/archive.tar | cut -d ' ' -f 1)
          [ "$actual" = "$digest" ] || fail "cannot restore '$path': its archive has sha256 $actual, not the recorded $digest"
          at=/workspace
          old_ifs=$IFS; IFS=/; set -f
          for part in $path; do
            [ -n "$part" ] || continue
            at="$at/$part"
            [ ! -L "$at" ] || fail "cannot restore '$path': '${at#/workspace/}' in the workspace is a symbolic link"
          done
          IFS=$old_ifs; set +f
          parent=$(dirname -- "/workspace/$path")
          mkdir -p -- "$parent"
          tar -xf /tmp/archive.tar -C "$parent" || fail "cannot restore '$path': not a tar archive"
          rm -f /tmp/archive.tar
        done
        echo "pipeliner: workspace ready"
        """;

    /// <summary>Keeps the helper container up, doing nothing, until the Pod is deleted.</summary>
    public const string Idle = "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done";

    /// <summary>Writes a tar of <c>$2</c> in <c>/workspace/$1</c> to stdout, its last segment at the root (as Docker's archive API).</summary>
    public static readonly string Archive = $"cd \"/workspace/$1\" 2>/dev/null && [ -e \"$2\" ] || exit {PathMissingExitCode}; exec tar -cf - \"$2\"";

    /// <summary>The archives' lines for <see cref="ArchivesVariable"/>: <c>sha256 url path</c>.</summary>
    /// <exception cref="ArgumentException">A path is absolute, leaves the workspace, or has a line break.</exception>
    public static string ArchiveLines(IEnumerable<ArchiveDownload> archives)
    {
        var lines = new StringBuilder();
        foreach (var archive in archives)
        {
            CheckPath(archive.Path);
            if (archive.Sha256.Length != 64 || !archive.Sha256.All(char.IsAsciiHexDigitLower))
                throw new ArgumentException($"archive of '{archive.Path}': '{archive.Sha256}' is not a lower-case SHA-256");
            lines.Append(archive.Sha256).Append(' ').Append(archive.Url.AbsoluteUri).Append(' ').Append(archive.Path).Append('\n');
        }

        return lines.ToString();
    }

    /// <summary>The archive command's arguments for a workspace-relative path: its parent and its last segment.</summary>
    public static IReadOnlyList<string> ArchiveCommand(string path)
    {
        CheckPath(path);
        var trimmed = path.Trim('/');
        var slash = trimmed.LastIndexOf('/');
        var (parent, name) = slash < 0 ? ("", trimmed) : (trimmed[..slash], trimmed[(slash + 1)..]);
        return ["sh", "-c", Archive, "pipeliner-archive", parent, name];
    }

    private static void CheckPath(string path)
    {
        if (path.Length == 0 || path.StartsWith('/') || path.Contains('\n') || path.Contains('\r') ||
            path.Split('/').Any(segment => segment == ".."))
            throw new ArgumentException($"'{path}' is not a path inside the workspace");
    }
}
