using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeliner.Core.Model;
using Pipeliner.Core.Planning;
using Pipeliner.Core.Reporting;
using Pipeliner.Core.Tests.Support;

namespace Pipeliner.Core.Tests.Scenarios;

/// <summary>
/// Each folder holds a <c>pipeline.yml</c> and cases <c>NAME.json</c>: an event and the exact plan JSON expected for it,
/// as <c>pipeliner plan --json</c> prints it.
/// </summary>
public class ScenarioTests
{
    private static readonly string Root = Path.Combine(AppContext.BaseDirectory, "Scenarios");

    public static TheoryData<string, string> Cases()
    {
        var cases = new TheoryData<string, string>();
        foreach (var folder in Directory.GetDirectories(Root).Order(StringComparer.Ordinal))
        {
            foreach (var file in Directory.GetFiles(folder, "*.json").Order(StringComparer.Ordinal))
                cases.Add(Path.GetFileName(folder), Path.GetFileNameWithoutExtension(file));
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Plan_PrintsTheExpectedJson_ForEveryScenarioCase(string scenario, string caseName)
    {
        var pipeline = Pipelines.Valid(File.ReadAllText(Path.Combine(Root, scenario, "pipeline.yml")));
        var testCase = JsonNode.Parse(File.ReadAllText(Path.Combine(Root, scenario, caseName + ".json")))!;

        var plan = PipelinePlanner.Plan(pipeline, ToContext(testCase["event"]!));

        var actual = JsonNode.Parse(ReportJson.Serialize(PlanReport.From(plan)));
        var expected = testCase["expected"];
        Assert.True(JsonNode.DeepEquals(expected, actual), $"""
            {scenario}/{caseName}: the plan differs.
            expected:
            {Pretty(expected)}
            actual:
            {Pretty(actual)}
            """);
    }

    [Fact]
    public void Cases_CoverEveryScenarioFolder_WithAtLeastOneCaseEach()
    {
        var folders = Directory.GetDirectories(Root);

        Assert.True(folders.Length >= 8, $"{folders.Length} scenarios");
        Assert.All(folders, folder =>
        {
            Assert.True(File.Exists(Path.Combine(folder, "pipeline.yml")), $"{folder} has no pipeline.yml");
            Assert.NotEmpty(Directory.GetFiles(folder, "*.json"));
        });
    }

    private static TriggerContext ToContext(JsonNode node)
    {
        var name = (string?)node["event"] ?? throw new InvalidDataException("a case needs event.event");
        if (!EventKindNames.TryParse(name, out var kind)) throw new InvalidDataException($"unknown event '{name}'");
        return new TriggerContext
        {
            Event = kind,
            Branch = (string?)node["branch"],
            Tag = (string?)node["tag"],
            ChangedPaths = node["changed"] is JsonArray changed ? changed.Select(p => (string)p!).ToList() : null,
        };
    }

    private static string Pretty(JsonNode? node) =>
        node?.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) ?? "null";
}
