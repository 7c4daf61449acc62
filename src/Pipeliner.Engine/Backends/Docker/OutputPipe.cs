using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Pipeliner.Engine.Backends.Docker;

/// <summary>
/// A named pipe on the host, bind-mounted into the script's container, that the script's output is sent to: the
/// bytes go from the container's process to Pipeliner through the kernel instead of through the engine, which
/// copies every byte of an attach stream through containerd's shim and its own multiplexer (on a small machine
/// that costs more CPU than storing the log). Pipeliner holds a write end of its own until the step has ended, so
/// opening the reading end does not wait for the container, and the reader sees the end of the output only once
/// the step has ended and everything it wrote has been read.
/// </summary>
internal sealed partial class OutputPipe : IDisposable
{
    /// <summary>Where the pipe's folder is mounted in the container; the pipe is <c>output</c> in it.</summary>
    public const string MountPoint = "/run/pipeliner";
    public const string ContainerPath = MountPoint + "/output";

    private const UnixFileMode AnyoneReadsAndWrites = UnixFileMode.UserRead | UnixFileMode.UserWrite |
                                                      UnixFileMode.GroupRead | UnixFileMode.GroupWrite |
                                                      UnixFileMode.OtherRead | UnixFileMode.OtherWrite;

    private readonly SafeFileHandle _writer;
    private Stream? _reader;

    private OutputPipe(string directory, SafeFileHandle writer, Stream reader)
    {
        HostDirectory = directory;
        _writer = writer;
        _reader = reader;
    }

    public string HostDirectory { get; }

    /// <summary>
    /// Makes the pipe in <paramref name="directory"/>; null where named pipes cannot be made, and the caller then
    /// reads the output from the engine's attach stream.
    /// </summary>
    public static OutputPipe? TryCreate(string directory)
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            Directory.CreateDirectory(directory);
            var path = Path.Combine(directory, "output");
            if (MakeFifo(path, 0b110_110_110) != 0) throw new IOException($"mkfifo {path}: error {Marshal.GetLastPInvokeError()}");
            // The umask took bits away; the container's user may be any user.
            File.SetUnixFileMode(path, AnyoneReadsAndWrites);
            // Opening a pipe read-write never waits on Linux; with this writer open, opening the reader does not either.
            var writer = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            var reader = new FileStream(File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite), FileAccess.Read, bufferSize: 0);
            return new OutputPipe(directory, writer, reader);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or EntryPointNotFoundException or DllNotFoundException)
        {
            DeleteDirectory(directory);
            return null;
        }
    }

    /// <summary>The reading end, handed to one caller, who disposes it.</summary>
    public Stream TakeReader() =>
        Interlocked.Exchange(ref _reader, null) ?? throw new InvalidOperationException("the output pipe is already read");

    /// <summary>The step has ended: once what it wrote is read, the reader sees the end.</summary>
    public void CloseWriter() => _writer.Dispose();

    public void Dispose()
    {
        _writer.Dispose();
        Interlocked.Exchange(ref _reader, null)?.Dispose();
        DeleteDirectory(HostDirectory);
    }

    private static void DeleteDirectory(string directory)
    {
        try
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the workspace janitor: it removes the run's folder with everything in it.
        }
    }

    [LibraryImport("libc", EntryPoint = "mkfifo", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MakeFifo(string path, uint mode);
}
