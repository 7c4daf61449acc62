using System.Threading.Channels;

namespace Pipeliner.Server.Logs.Store;

/// <summary>Logs that became final and wait to be indexed and compressed (by <c>LogSealer</c>), in the order they ended.</summary>
public sealed class LogCompletions
{
    private readonly Channel<LogRef> _queue = Channel.CreateUnbounded<LogRef>(new UnboundedChannelOptions { SingleReader = true });

    public void Add(LogRef log) => _queue.Writer.TryWrite(log);

    public ChannelReader<LogRef> Reader => _queue.Reader;
}
