using System.Text;

namespace Pipeliner.Engine.Tests.Support.Kubernetes;

/// <summary>A container's output as the kubelet keeps it: read whole, or followed until the container ends.</summary>
internal sealed class ContainerLog
{
    private readonly object _gate = new();
    private readonly List<byte> _bytes = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _complete;

    public void Append(string text)
    {
        lock (_gate)
        {
            _bytes.AddRange(Encoding.UTF8.GetBytes(text));
            Signal();
        }
    }

    public void Complete()
    {
        lock (_gate)
        {
            _complete = true;
            Signal();
        }
    }

    public async Task CopyToAsync(Stream output, bool follow, CancellationToken cancellationToken)
    {
        var offset = 0;
        while (true)
        {
            byte[] chunk;
            bool complete;
            Task changed;
            lock (_gate)
            {
                chunk = _bytes.Skip(offset).ToArray();
                complete = _complete;
                changed = _changed.Task;
            }

            if (chunk.Length > 0)
            {
                await output.WriteAsync(chunk, cancellationToken);
                await output.FlushAsync(cancellationToken);
                offset += chunk.Length;
                continue;
            }

            if (!follow || complete) return;
            await changed.WaitAsync(cancellationToken);
        }
    }

    private void Signal()
    {
        _changed.TrySetResult();
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
