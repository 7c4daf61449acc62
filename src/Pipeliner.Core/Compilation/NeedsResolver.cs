using Pipeliner.Core.Model;
using Pipeliner.Core.Syntax;

namespace Pipeliner.Core.Compilation;

/// <summary>
/// Resolves each job's explicit <c>needs</c> to job instance ids and checks the graph: unknown jobs, needs on
/// later stages, and cycles (printed as <c>a -> c -> b -> a</c>).
/// </summary>
internal sealed class NeedsResolver(ValueParser parse, IReadOnlyList<JobTemplate> templates, IReadOnlyList<Job> instances)
{
    private readonly Dictionary<string, List<Job>> _instancesByName = ByName(instances);

    private readonly Dictionary<string, Job> _instancesById = ById(instances);

    private static Dictionary<string, List<Job>> ByName(IReadOnlyList<Job> instances)
    {
        var byName = new Dictionary<string, List<Job>>(instances.Count, StringComparer.Ordinal);
        foreach (var job in instances)
        {
            if (byName.TryGetValue(job.Name, out var group)) group.Add(job);
            else byName.Add(job.Name, [job]);
        }

        return byName;
    }

    private static Dictionary<string, Job> ById(IReadOnlyList<Job> instances)
    {
        var byId = new Dictionary<string, Job>(instances.Count, StringComparer.Ordinal);
        foreach (var job in instances) byId.TryAdd(job.Id, job);
        return byId;
    }

    /// <summary>Needs per job name (instance ids), null for jobs that rely on stage order.</summary>
    public Dictionary<string, IReadOnlyList<string>?> Resolve()
    {
        var resolved = new Dictionary<string, IReadOnlyList<string>?>(StringComparer.Ordinal);
        var edges = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var template in templates)
        {
            var job = template.Job;
            edges[job.Name] = [];
            if (template.Syntax.Needs is not { } needs)
            {
                resolved[job.Name] = null;
                continue;
            }

            var ids = new List<string>();
            foreach (var need in needs.Items)
            {
                var targets = Targets(need.Value);
                if (targets is null)
                {
                    parse.Error(need.Location,
                        $"jobs.{job.Name}.needs: unknown job '{need.Value}'{Text.Suggestions.Hint(need.Value, _instancesByName.Keys)}");
                    continue;
                }

                var later = job.StageIndex < 0 ? null : targets.FirstOrDefault(t => t.StageIndex > job.StageIndex);
                if (later is not null)
                {
                    parse.Error(need.Location,
                        $"jobs.{job.Name}.needs: '{need.Value}' runs in the later stage '{later.Stage}'; a job can only need jobs of its own stage ('{job.Stage}') or earlier ones");
                    continue;
                }

                if (!edges[job.Name].Contains(targets[0].Name)) edges[job.Name].Add(targets[0].Name);
                ids.AddRange(targets.Select(t => t.Id).Where(id => !ids.Contains(id)));
            }

            resolved[job.Name] = ids;
        }

        ReportCycles(edges);
        return resolved;
    }

    private IReadOnlyList<Job>? Targets(string reference)
    {
        if (_instancesByName.TryGetValue(reference, out var all)) return all;
        return _instancesById.TryGetValue(reference, out var one) ? [one] : null;
    }

    private void ReportCycles(Dictionary<string, List<string>> edges)
    {
        var declarationOrder = templates.Select(t => t.Job.Name).ToList();
        foreach (var component in StronglyConnectedComponents(edges, declarationOrder))
        {
            var member = component.First();
            var isCycle = component.Count > 1 || edges[member].Contains(member);
            if (!isCycle) continue;
            var start = declarationOrder.First(component.Contains);
            var path = FindCycle(start, component, edges);
            var template = templates.First(t => t.Job.Name == start);
            parse.Error(template.Syntax.Needs!.Location, $"jobs.{start}.needs: cycle {string.Join(" -> ", path)}");
        }
    }

    /// <summary>Shortest path from <paramref name="start"/> back to itself inside one strongly connected component.</summary>
    private static List<string> FindCycle(string start, HashSet<string> component, Dictionary<string, List<string>> edges)
    {
        var previous = new Dictionary<string, string>(StringComparer.Ordinal);
        var queue = new Queue<string>([start]);
        while (queue.Count > 0)
        {
            var node = queue.Dequeue();
            foreach (var next in edges[node].Where(component.Contains))
            {
                if (next == start)
                {
                    var path = new List<string> { start };
                    for (var n = node; n != start; n = previous[n]) path.Insert(1, n);
                    path.Add(start);
                    return path;
                }

                if (previous.TryAdd(next, node)) queue.Enqueue(next);
            }
        }

        return [start, start];
    }

    /// <summary>
    /// Tarjan's algorithm, iterating nodes in declaration order so that reports are stable. Only the components that
    /// are cycles are returned: several jobs, or one that needs itself.
    /// </summary>
    private static List<HashSet<string>> StronglyConnectedComponents(Dictionary<string, List<string>> edges, List<string> order)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var lowLink = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var components = new List<HashSet<string>>();
        var counter = 0;

        // Iterative depth-first search: a deep chain of needs must not overflow the call stack.
        var work = new Stack<(string Node, int Edge)>();
        foreach (var root in order)
        {
            if (index.ContainsKey(root)) continue;
            work.Push((root, 0));
            index[root] = lowLink[root] = counter++;
            stack.Push(root);
            onStack.Add(root);
            while (work.Count > 0)
            {
                var (node, edge) = work.Pop();
                var targets = edges[node];
                if (edge < targets.Count)
                {
                    work.Push((node, edge + 1));
                    var next = targets[edge];
                    if (!index.ContainsKey(next))
                    {
                        index[next] = lowLink[next] = counter++;
                        stack.Push(next);
                        onStack.Add(next);
                        work.Push((next, 0));
                    }
                    else if (onStack.Contains(next))
                    {
                        lowLink[node] = Math.Min(lowLink[node], index[next]);
                    }

                    continue;
                }

                if (work.Count > 0)
                {
                    var parent = work.Peek().Node;
                    lowLink[parent] = Math.Min(lowLink[parent], lowLink[node]);
                }

                if (lowLink[node] != index[node]) continue;
                if (stack.Peek() == node && !edges[node].Contains(node))
                {
                    // A job on no cycle, as nearly all are: no component to report, none to allocate.
                    stack.Pop();
                    onStack.Remove(node);
                    continue;
                }

                var component = new HashSet<string>(StringComparer.Ordinal);
                string member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    component.Add(member);
                }
                while (member != node);
                components.Add(component);
            }
        }

        return components;
    }
}
