using k8s;
using k8s.Models;

namespace Pipeliner.Engine.Kubernetes;

/// <summary>
/// Where the Pods of jobs with one <c>runs-on</c> label go: node selector entries and tolerations, as an operator
/// writes them in the placement file:
/// <code>
/// gpu:
///   nodeSelector: { nvidia.com/gpu.present: "true" }
///   tolerations: [{ key: nvidia.com/gpu, operator: Exists, effect: NoSchedule }]
/// </code>
/// </summary>
public sealed record RunsOnPlacement
{
    public IReadOnlyDictionary<string, string> NodeSelector { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<V1Toleration> Tolerations { get; init; } = [];

    /// <exception cref="ArgumentException">The file cannot be read or is not a mapping of labels to placements.</exception>
    public static IReadOnlyDictionary<string, RunsOnPlacement> LoadFile(string path)
    {
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (IOException e)
        {
            throw new ArgumentException($"{path}: {e.Message}", e);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{path}: {e.Message}", e);
        }
    }

    /// <exception cref="ArgumentException">The text is not a mapping of labels to placements.</exception>
    public static IReadOnlyDictionary<string, RunsOnPlacement> Parse(string yaml)
    {
        Dictionary<string, PlacementFileEntry>? entries;
        try
        {
            entries = KubernetesYaml.Deserialize<Dictionary<string, PlacementFileEntry>>(yaml, strict: true);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new ArgumentException($"line {e.Start.Line}: {e.InnerException?.Message ?? e.Message}", e);
        }

        return (entries ?? []).ToDictionary(
            e => e.Key,
            e => new RunsOnPlacement
            {
                NodeSelector = e.Value?.NodeSelector ?? [],
                Tolerations = e.Value?.Tolerations ?? [],
            },
            StringComparer.Ordinal);
    }

    /// <summary>The placement of a job with these labels: every mapped label's entries together.</summary>
    /// <exception cref="ArgumentException">Two labels ask for different values of one node label.</exception>
    public static RunsOnPlacement For(IEnumerable<string> runsOn, IReadOnlyDictionary<string, RunsOnPlacement> placement)
    {
        var selector = new Dictionary<string, string>(StringComparer.Ordinal);
        var chosenBy = new Dictionary<string, string>(StringComparer.Ordinal);
        var tolerations = new List<V1Toleration>();
        foreach (var label in runsOn)
        {
            if (!placement.TryGetValue(label, out var entry)) continue;
            foreach (var (key, value) in entry.NodeSelector)
            {
                if (selector.TryGetValue(key, out var existing) && existing != value)
                    throw new ArgumentException($"runs-on labels '{chosenBy[key]}' and '{label}' ask for different values of the node label {key} ('{existing}', '{value}')");
                selector[key] = value;
                chosenBy[key] = label;
            }

            tolerations.AddRange(entry.Tolerations);
        }

        return new RunsOnPlacement { NodeSelector = selector, Tolerations = tolerations };
    }

    private sealed class PlacementFileEntry
    {
        public Dictionary<string, string>? NodeSelector { get; set; }
        public List<V1Toleration>? Tolerations { get; set; }
    }
}
