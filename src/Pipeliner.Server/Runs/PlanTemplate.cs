using System.Text;
using Pipeliner.Core.Planning;

namespace Pipeliner.Server.Runs;

/// <summary>
/// A run's plan written to JSON before the run has its id, and stored as written: neither planning nor serialising
/// happens while run creation holds the database's write lock, and the run's row is inserted with its plan (no update
/// once the insert gave the id). The id appears in the plan as text only (the trigger context's <c>runId</c> and every
/// job's <c>PIPELINER_RUN_ID</c>): the plan is made with a random placeholder in its place, which nothing in a pipeline
/// file can contain (it is drawn after the file was read), and <see cref="Read"/> puts the run's id in at every read
/// with one pass over the text. Plans stored with their run's id (before this) are read as they are.
/// </summary>
public sealed class PlanTemplate
{
    private const string RunIdProperty = "\"runId\":\"";

    private PlanTemplate(string json)
    {
        Json = json;
        Bytes = Encoding.UTF8.GetByteCount(json);
    }

    /// <summary>The JSON stored as the run's plan, with the placeholder as its run's id.</summary>
    public string Json { get; }

    /// <summary>The size of <see cref="Json"/> in UTF-8.</summary>
    public long Bytes { get; }

    /// <summary>The placeholder a plan is made with (<see cref="TriggerContext.RunId"/>) before <see cref="Write"/>.</summary>
    public static string NewPlaceholder() => $"run-id-{Guid.NewGuid():N}";

    /// <summary>The template of <paramref name="plan"/>, made with a placeholder (<see cref="NewPlaceholder"/>) as its run's id.</summary>
    public static PlanTemplate Write(ExecutionPlan plan) => new(PlanJson.Serialize(plan));

    /// <summary>
    /// The stored plan <paramref name="json"/> of the run <paramref name="runKey"/>, with the run's id where its placeholder
    /// was: the same text <see cref="PlanJson.Serialize"/> writes for the plan made with the id.
    /// </summary>
    public static string Read(string json, string runKey)
    {
        // The context's runId is the first property of that name: what comes before it (the pipeline's name, the context's
        // event, branch, tag, changed paths and project) are strings, in which JSON escapes every quote.
        var start = json.IndexOf(RunIdProperty, StringComparison.Ordinal);
        if (start < 0) return json;
        start += RunIdProperty.Length;
        var end = json.IndexOf('"', start);
        if (end < 0) return json;
        var stored = json.AsSpan(start, end - start);
        if (stored.SequenceEqual(runKey) || stored.Length == 0) return json;
        return json.Replace(stored.ToString(), runKey, StringComparison.Ordinal);
    }
}
