using System.Text;
using Pipeliner.Core.Model;

namespace Pipeliner.Core.Compilation;

/// <summary>
/// Expands a matrix job into one instance per combination of axis values (cartesian product, axes in file order).
/// An instance's id is <c>name (v1, v2)</c>; its matrix values become variables and replace <c>${AXIS}</c> in images.
/// </summary>
internal static class MatrixExpander
{
    public static IEnumerable<Job> Expand(JobTemplate template)
    {
        if (template.Matrix.Count == 0)
        {
            yield return template.Job;
            yield break;
        }

        foreach (var combination in Combinations(template.Matrix))
        {
            var id = $"{template.Job.Name} ({string.Join(", ", combination.Select(c => c.Value))})";
            yield return template.Job with
            {
                Id = id,
                MatrixValues = combination,
                Image = Substitute(template.Job.Image, combination),
                Services = template.Job.Services
                    .Select(s => s with { Image = Substitute(s.Image, combination) })
                    .ToList(),
            };
        }
    }

    private static IEnumerable<KeyValuePair<string, string>[]> Combinations(IReadOnlyList<MatrixAxis> axes)
    {
        var indexes = new int[axes.Count];
        while (true)
        {
            yield return axes.Select((axis, i) => KeyValuePair.Create(axis.Name, axis.Values[indexes[i]])).ToArray();
            var position = axes.Count - 1;
            while (position >= 0 && ++indexes[position] == axes[position].Values.Count)
            {
                indexes[position] = 0;
                position--;
            }

            if (position < 0) yield break;
        }
    }

    private static string Substitute(string text, KeyValuePair<string, string>[] values)
    {
        if (!text.Contains("${", StringComparison.Ordinal)) return text;
        var result = new StringBuilder(text);
        foreach (var (name, value) in values) result.Replace("${" + name + "}", value);
        return result.ToString();
    }
}
