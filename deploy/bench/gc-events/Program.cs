// The garbage collections and the sampled allocations in a window of a .NET trace (dotnet-trace, EventPipe):
//   dotnet-trace collect -p <server pid> --providers Microsoft-Windows-DotNETRuntime:0x1:5 --duration 00:00:02:40 -o burst.nettrace
//   dotnet run -c Release --project deploy/bench/gc-events -- burst.nettrace 04:16:43.2 04:16:47.6   (UTC time of day)
// Prints every collection that started in the window (generation, reason, the thread that triggered it — a workstation
// collection runs on that thread — and how long the threads stood suspended), then the allocation ticks (one per ~100 KB
// allocated) by thread, by type and by the first Pipeliner frame of their stacks.
// A fourth argument (a part of a method's name, or "thread <id>") also prints the stacks of the ticks whose stack holds it, heaviest first.
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

var etlx = TraceLog.CreateFromEventPipeDataFile(args[0]);
using var log = new TraceLog(etlx);
var from = args.Length > 1 ? TimeSpan.Parse(args[1]).TotalSeconds : 0;
var to = args.Length > 2 ? TimeSpan.Parse(args[2]).TotalSeconds : double.MaxValue;
var started = new Dictionary<int, (double At, int Thread, int Generation, string Reason)>();
var collections = new List<string>();
var byType = new Dictionary<string, long>();
var byFrame = new Dictionary<string, long>();
var byThread = new Dictionary<int, long>();
var watched = args.Length > 3 ? args[3] : null;
var byStack = new Dictionary<string, long>();
// Several parts separated by commas: each one's inclusive sum (the ticks whose stack holds it) instead of the stacks.
var parts = watched?.Contains(',') == true ? watched.Split(',') : null;
var byPart = new Dictionary<string, long>();
long sampled = 0;
double suspendedAt = 0;
foreach (var e in log.Events)
{
    var at = e.TimeStamp.ToUniversalTime().TimeOfDay.TotalSeconds;
    switch (e)
    {
        case GCSuspendEETraceData:
            suspendedAt = at;
            break;
        case GCStartTraceData start:
            started[start.Count] = (at, e.ThreadID, start.Depth, start.Reason.ToString());
            break;
        case GCEndTraceData end when started.TryGetValue(end.Count, out var s) && s.At >= from && s.At <= to:
            collections.Add($"{TimeSpan.FromSeconds(s.At):hh\\:mm\\:ss\\.ffff} gen{s.Generation} {s.Reason} on thread {s.Thread}: {(at - s.At) * 1000:0.0} ms");
            break;
        case GCAllocationTickTraceData tick when at >= from && at <= to:
            var bytes = tick.AllocationAmount64;
            sampled += bytes;
            byType[tick.TypeName ?? "?"] = byType.GetValueOrDefault(tick.TypeName ?? "?") + bytes;
            byThread[e.ThreadID] = byThread.GetValueOrDefault(e.ThreadID) + bytes;
            string frame = null;
            var depth = 0;
            for (var c = e.CallStack(); c is not null && depth < 40 && frame is null; c = c.Caller, depth++)
                if (c.CodeAddress.FullMethodName is { } name && name.StartsWith("Pipeliner", StringComparison.Ordinal)) frame = name;
            frame ??= e.CallStack()?.CodeAddress.FullMethodName ?? "?";
            byFrame[frame] = byFrame.GetValueOrDefault(frame) + bytes;
            if (parts is not null)
            {
                var frames = Stack(e.CallStack(), 200);
                foreach (var part in parts)
                    if (frames.Contains(part, StringComparison.Ordinal)) byPart[part] = byPart.GetValueOrDefault(part) + bytes;
            }
            else if (watched is not null && Stack(e.CallStack()) is var stack && (stack.Contains(watched, StringComparison.Ordinal) || watched == $"thread {e.ThreadID}"))
                byStack[$"{tick.TypeName}\n{stack}"] = byStack.GetValueOrDefault($"{tick.TypeName}\n{stack}") + bytes;
            break;
        default:
            if (e.EventName == "GC/RestartEEStop" && collections.Count > 0 && !collections[^1].Contains("suspended"))
                collections[^1] += $", threads suspended {(at - suspendedAt) * 1000:0.0} ms";
            break;
    }
}

Console.WriteLine($"collections: {collections.Count}");
collections.ForEach(Console.WriteLine);
Console.WriteLine($"allocated (sampled): {sampled / 1048576.0:0.0} MiB");
Print("by thread", byThread.ToDictionary(kv => $"thread {kv.Key}", kv => kv.Value), 10);
Print("by type", byType, 15);
Print("by first Pipeliner frame", byFrame, 30);
if (parts is not null) Print("inclusive, by the parts asked for", byPart, parts.Length);
else if (watched is not null) Print($"stacks holding {watched} (type, then the frames from the allocation out)", byStack, 12);

static string Stack(TraceCallStack? call, int maxDepth = 24)
{
    var frames = new List<string>();
    for (var depth = 0; call is not null && depth < maxDepth; call = call.Caller, depth++)
        frames.Add("      " + (call.CodeAddress.FullMethodName is { Length: > 0 } name ? name[..Math.Min(name.Length, 150)] : "?"));
    return string.Join("\n", frames);
}

static void Print(string title, Dictionary<string, long> sums, int top)
{
    Console.WriteLine(title + ":");
    foreach (var (key, bytes) in sums.OrderByDescending(kv => kv.Value).Take(top)) Console.WriteLine($"  {bytes / 1048576.0,7:0.0} MiB {key}");
}
