using Pipeliner.Core.Diagnostics;
using Pipeliner.Core.Syntax.Yaml;

namespace Pipeliner.Core.Syntax;

/// <summary>
/// Reads <c>.pipeliner.yml</c> text into <see cref="PipelineSyntax"/>: YAML syntax, known keys and the kind of
/// each node (value, list, mapping). Meaning (durations, references, cycles) is the compiler's business.
/// </summary>
public static class PipelineSyntaxReader
{
    public static readonly string[] TopLevelKeys = ["name", "on", "variables", "defaults", "stages", "jobs", "concurrency"];
    public static readonly string[] TriggerKeys = ["push", "pull_request", "schedule", "manual"];
    public static readonly string[] PushKeys = ["branches", "tags", "paths"];
    public static readonly string[] PullRequestKeys = ["branches", "paths"];
    public static readonly string[] DefaultsKeys = ["image", "timeout", "retry", "runs-on", "resources"];
    public static readonly string[] ResourcesKeys = ["cpus", "memory", "pids", "log", "workspace", "artifacts"];
    public static readonly string[] ConditionKeys = ["branches", "tags", "events", "paths"];
    public static readonly string[] ServiceKeys = ["name", "image", "command", "env"];
    public static readonly string[] ArtifactsKeys = ["paths", "expire"];
    public static readonly string[] CacheKeys = ["key", "paths"];
    public static readonly string[] ReportsKeys = ["junit", "sarif"];

    public static readonly string[] JobKeys =
    [
        "stage", "image", "script", "needs", "if", "when", "environment", "services", "artifacts", "cache",
        "reports", "variables", "secrets", "timeout", "retry", "allow_failure", "blocking", "runs-on", "resources", "matrix",
    ];

    /// <summary>Parses the text; returns null when it is not a YAML mapping at all (the reason is in the bag).</summary>
    public static PipelineSyntax? Read(string text, DiagnosticBag diagnostics)
    {
        var root = YamlTreeLoader.Load(text, diagnostics);
        if (root is null) return null;
        if (root is not YamlMapping)
        {
            // An empty document ("---" alone) has no position of its own worth showing.
            var location = root is YamlScalar { IsNull: true } ? SourceLocation.Start : root.Location;
            diagnostics.Add(location, $"a pipeline is a mapping of keys such as 'stages' and 'jobs', found {root.KindName}");
            return null;
        }

        var reader = new NodeReader(diagnostics);
        var pipeline = new PipelineSyntax();
        foreach (var (key, value) in reader.Entries(root, "pipeline", TopLevelKeys, pipeline))
        {
            switch (key.Value)
            {
                case "name": pipeline.Name = reader.Scalar(value, "name"); break;
                case "on": pipeline.On = ReadTriggers(reader, value); break;
                case "variables": pipeline.Variables = reader.Map(value, "variables"); break;
                case "defaults": pipeline.Defaults = ReadDefaults(reader, value); break;
                case "stages": pipeline.Stages = reader.List(value, "stages"); break;
                case "concurrency": pipeline.Concurrency = reader.Scalar(value, "concurrency"); break;
                case "jobs":
                    pipeline.JobsLocation = key.Location;
                    pipeline.JobsMalformed = value is not YamlMapping && !reader.IsNull(value);
                    ReadJobs(reader, value, pipeline.Jobs);
                    break;
            }
        }

        return pipeline;
    }

    private static TriggersSyntax ReadTriggers(NodeReader reader, YamlNode node)
    {
        var triggers = new TriggersSyntax { Location = node.Location };
        if (node is YamlScalar or YamlSequence)
        {
            triggers.Events = reader.List(node, "on");
            return triggers;
        }

        foreach (var (key, value) in reader.Entries(node, "on", TriggerKeys))
        {
            switch (key.Value)
            {
                case "push": triggers.Push = ReadRefFilter(reader, value, "on.push", PushKeys); break;
                case "pull_request": triggers.PullRequest = ReadRefFilter(reader, value, "on.pull_request", PullRequestKeys); break;
                case "schedule": triggers.Schedule = reader.List(value, "on.schedule"); break;
                case "manual": triggers.Manual = reader.Scalar(value, "on.manual"); break;
            }
        }

        return triggers;
    }

    private static RefFilterSyntax ReadRefFilter(NodeReader reader, YamlNode node, string path, string[] keys)
    {
        var filter = new RefFilterSyntax { Location = node.Location };
        foreach (var (key, value) in reader.Entries(node, path, keys))
        {
            var list = reader.List(value, $"{path}.{key.Value}");
            switch (key.Value)
            {
                case "branches": filter.Branches = list; break;
                case "tags": filter.Tags = list; break;
                case "paths": filter.Paths = list; break;
            }
        }

        return filter;
    }

    private static DefaultsSyntax ReadDefaults(NodeReader reader, YamlNode node)
    {
        var defaults = new DefaultsSyntax();
        foreach (var (key, value) in reader.Entries(node, "defaults", DefaultsKeys))
        {
            var path = "defaults." + key.Value;
            switch (key.Value)
            {
                case "image": defaults.Image = reader.Scalar(value, path); break;
                case "timeout": defaults.Timeout = reader.Scalar(value, path); break;
                case "retry": defaults.Retry = reader.Scalar(value, path); break;
                case "runs-on": defaults.RunsOn = reader.List(value, path); break;
                case "resources": defaults.Resources = JobSyntaxReader.ReadResources(reader, value, path); break;
            }
        }

        return defaults;
    }

    private static void ReadJobs(NodeReader reader, YamlNode node, List<JobSyntax> jobs)
    {
        foreach (var (key, value) in reader.MergedEntries(node, "jobs"))
        {
            // GitLab-style hidden jobs (".template") hold anchors for '<<' merges; they are not jobs.
            if (key.Value.StartsWith('.')) continue;
            jobs.Add(JobSyntaxReader.Read(reader, key, value));
        }
    }
}
