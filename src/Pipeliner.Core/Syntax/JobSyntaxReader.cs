using Pipeliner.Core.Diagnostics;
using Pipeliner.Core.Syntax.Yaml;

namespace Pipeliner.Core.Syntax;

/// <summary>Reads one entry of <c>jobs:</c> into a <see cref="JobSyntax"/>.</summary>
internal static class JobSyntaxReader
{
    public static JobSyntax Read(NodeReader reader, YamlScalar id, YamlNode node)
    {
        var job = new JobSyntax { Id = new Scalar(id.Value, id.Location) };
        var jobPath = $"jobs.{id.Value}";
        if (reader.IsNull(node))
        {
            reader.Diagnostics.Add(id.Location, $"{jobPath}: a job needs at least 'stage' and 'script'");
            job.IsMalformed = true; // reported just above, not again key by key
            return job;
        }

        foreach (var (key, value) in reader.Entries(node, jobPath, PipelineSyntaxReader.JobKeys, job))
        {
            var path = new NodePath(jobPath, key.Value);
            switch (key.Value)
            {
                case "stage": job.Stage = reader.Scalar(value, path); break;
                case "image": job.Image = reader.Scalar(value, path); break;
                case "script": job.Script = reader.List(value, path); break;
                case "needs": job.Needs = reader.List(value, path); break;
                case "if": job.If = ReadCondition(reader, value, path); break;
                case "when": job.When = reader.Scalar(value, path); break;
                case "environment": job.Environment = reader.Scalar(value, path); break;
                case "services": job.Services = ReadServices(reader, value, path); break;
                case "artifacts": job.Artifacts = ReadArtifacts(reader, value, path); break;
                case "cache": job.Cache = ReadCache(reader, value, path); break;
                case "reports": job.Reports = ReadReports(reader, value, path); break;
                case "variables": job.Variables = reader.Map(value, path); break;
                case "secrets": job.Secrets = reader.List(value, path); break;
                case "timeout": job.Timeout = reader.Scalar(value, path); break;
                case "retry": job.Retry = reader.Scalar(value, path); break;
                case "allow_failure": job.AllowFailure = reader.Scalar(value, path); break;
                case "blocking": job.Blocking = reader.Scalar(value, path); break;
                case "runs-on": job.RunsOn = reader.List(value, path); break;
                case "resources": job.Resources = ReadResources(reader, value, path); break;
                case "matrix": job.Matrix = ReadMatrix(reader, value, path); break;
            }
        }

        return job;
    }

    private static ConditionSyntax ReadCondition(NodeReader reader, YamlNode node, NodePath path)
    {
        var condition = new ConditionSyntax();
        foreach (var (key, value) in reader.Entries(node, path, PipelineSyntaxReader.ConditionKeys))
        {
            var list = reader.List(value, path.Child(key.Value));
            switch (key.Value)
            {
                case "branches": condition.Branches = list; break;
                case "tags": condition.Tags = list; break;
                case "events": condition.Events = list; break;
                case "paths": condition.Paths = list; break;
            }
        }

        return condition;
    }

    private static List<ServiceSyntax> ReadServices(NodeReader reader, YamlNode node, NodePath path)
    {
        var services = new List<ServiceSyntax>();
        if (node is not YamlSequence sequence)
        {
            if (!reader.IsNull(node)) reader.ReportKind(node, path, "a list of services");
            return services;
        }

        for (var i = 0; i < sequence.Items.Count; i++)
        {
            var item = sequence.Items[i];
            var itemPath = $"{path}[{i}]";
            var service = new ServiceSyntax { Location = item.Location };
            foreach (var (key, value) in reader.Entries(item, itemPath, PipelineSyntaxReader.ServiceKeys, service))
            {
                var keyPath = $"{itemPath}.{key.Value}";
                switch (key.Value)
                {
                    case "name": service.Name = reader.Scalar(value, keyPath); break;
                    case "image": service.Image = reader.Scalar(value, keyPath); break;
                    case "command": service.Command = reader.List(value, keyPath); break;
                    case "env": service.Env = reader.Map(value, keyPath); break;
                }
            }

            if (item is YamlMapping) services.Add(service);
        }

        return services;
    }

    private static ArtifactsSyntax ReadArtifacts(NodeReader reader, YamlNode node, NodePath path)
    {
        var artifacts = new ArtifactsSyntax { Location = node.Location };
        foreach (var (key, value) in reader.Entries(node, path, PipelineSyntaxReader.ArtifactsKeys, artifacts))
        {
            if (key.Value == "paths") artifacts.Paths = reader.List(value, path.Child("paths"));
            else artifacts.Expire = reader.Scalar(value, path.Child("expire"));
        }

        return artifacts;
    }

    private static CacheSyntax ReadCache(NodeReader reader, YamlNode node, NodePath path)
    {
        var cache = new CacheSyntax { Location = node.Location };
        foreach (var (key, value) in reader.Entries(node, path, PipelineSyntaxReader.CacheKeys, cache))
        {
            if (key.Value == "paths") cache.Paths = reader.List(value, path.Child("paths"));
            else cache.Key = reader.Scalar(value, path.Child("key"));
        }

        return cache;
    }

    private static ReportsSyntax ReadReports(NodeReader reader, YamlNode node, NodePath path)
    {
        var reports = new ReportsSyntax { Location = node.Location };
        foreach (var (key, value) in reader.Entries(node, path, PipelineSyntaxReader.ReportsKeys, reports))
        {
            if (key.Value == "junit") reports.Junit = reader.List(value, path.Child("junit"));
            else reports.Sarif = reader.List(value, path.Child("sarif"));
        }

        return reports;
    }

    internal static ResourcesSyntax ReadResources(NodeReader reader, YamlNode node, NodePath path)
    {
        var resources = new ResourcesSyntax { Location = node.Location };
        foreach (var (key, value) in reader.Entries(node, path, PipelineSyntaxReader.ResourcesKeys))
        {
            var scalar = reader.Scalar(value, path.Child(key.Value));
            switch (key.Value)
            {
                case "cpus": resources.Cpus = scalar; break;
                case "memory": resources.Memory = scalar; break;
                case "pids": resources.Pids = scalar; break;
                case "log": resources.Log = scalar; break;
                case "workspace": resources.Workspace = scalar; break;
                default: resources.Artifacts = scalar; break;
            }
        }

        return resources;
    }

    private static MatrixSyntax ReadMatrix(NodeReader reader, YamlNode node, NodePath path)
    {
        var matrix = new MatrixSyntax { Location = node.Location };
        foreach (var (key, value) in reader.MergedEntries(node, path, matrix))
        {
            if (value is not YamlSequence)
            {
                reader.ReportKind(value, path.Child(key.Value), "a list of values");
                continue;
            }

            if (reader.List(value, path.Child(key.Value)) is { } values)
                matrix.Axes.Add(new MatrixAxisSyntax(new Scalar(key.Value, key.Location), values));
        }

        return matrix;
    }
}
