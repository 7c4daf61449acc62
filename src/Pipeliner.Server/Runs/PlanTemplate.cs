using System.Text;
using Pipeliner.Core.Planning;

namespace Pipeliner.Server.Runs;

/// <summary>
/// A run's plan written to JSON before the run has its id, so that neither planning nor serialising happens while run
/// creation holds the database's write lock. The id appears in the plan as text only (the trigger context's
/// <c>runId</c> and every job's <c>PIPELINER_RUN_ID</c>): the plan is made with a random placeholder in its place,
/// which nothing in a pipeline file can contain (it is drawn after the file was read), and <see cref="JsonFor"/> puts
/// the id in with one pass over the text. The result is the same text <see cref="PlanJson.Serialize"/> writes for the
/// plan made with the id.
/// </summary>
public sealed class PlanTemplate
{
    private readonly string _json;
    private readonly string _placeholder;
    private readonly int _occurrences;
    private readonly long _bytes;

    private PlanTemplate(string json, string placeholder)
    {
        _json = json;
        _placeholder = placeholder;
        _bytes = Encoding.UTF8.GetByteCount(json);
        for (var at = json.IndexOf(placeholder, StringComparison.Ordinal); at >= 0; at = json.IndexOf(placeholder, at + placeholder.Length, StringComparison.Ordinal))
            _occurrences++;
    }

    /// <summary>The placeholder a plan is made with (<see cref="TriggerContext.RunId"/>) before <see cref="Write"/>.</summary>
    public static string NewPlaceholder() => $"run-id-{Guid.NewGuid():N}";

    /// <summary>The template of <paramref name="plan"/>, made with <paramref name="placeholder"/> as its run's id.</summary>
    public static PlanTemplate Write(ExecutionPlan plan, string placeholder) => new(PlanJson.Serialize(plan), placeholder);

    /// <summary>The plan's JSON for the run <paramref name="runKey"/>.</summary>
    public string JsonFor(string runKey) => _occurrences == 0 ? _json : _json.Replace(_placeholder, runKey, StringComparison.Ordinal);

    /// <summary>The size in UTF-8 of <see cref="JsonFor"/>, without writing it (the placeholder and an id are ASCII).</summary>
    public long BytesFor(string runKey) => _bytes - (long)_occurrences * (_placeholder.Length - runKey.Length);
}
