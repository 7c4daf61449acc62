namespace Pipeliner.Engine.Backends.Docker;

/// <summary>
/// Reports on the reading thread, before the next message is read; <see cref="Progress{T}"/> posts to the thread
/// pool instead, so a report could still arrive after the caller has read the result.
/// </summary>
internal sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
