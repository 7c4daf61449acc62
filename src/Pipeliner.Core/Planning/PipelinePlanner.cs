using Pipeliner.Core.Model;

namespace Pipeliner.Core.Planning;

/// <summary>
/// Plans a run of a validated pipeline for one event: whether it runs at all, and for every job whether it
/// runs, is skipped (and why) or waits for a person, with its resolved needs, in execution order.
/// </summary>
public static class PipelinePlanner
{
    public static ExecutionPlan Plan(Pipeline pipeline, TriggerContext context)
    {
        var whyNot = EventMatcher.WhyNotTriggered(pipeline.Triggers, context);
        if (whyNot is not null)
            return new ExecutionPlan(pipeline.Name, context, false, whyNot, pipeline.Stages, []);

        var decisions = new Dictionary<string, JobDecision>(StringComparer.Ordinal);
        var planned = new List<PlannedJob>(pipeline.Jobs.Count);
        var earlierStagesRunning = new List<string>();
        IReadOnlyList<string> stageNeeds = [];
        foreach (var stageJobs in ExecutionOrder(pipeline))
        {
            // Jobs without 'needs' wait for every job of every earlier stage that is not skipped.
            stageNeeds = earlierStagesRunning.ToArray();
            foreach (var job in stageJobs)
            {
                var (decision, reason) = Decide(job, context, decisions);
                decisions[job.Id] = decision;
                var needs = job.Needs ?? stageNeeds;
                planned.Add(new PlannedJob(job.Id, job.Stage, decision, reason, needs, job.Needs is null, ToSpec(job, pipeline, context)));
            }

            earlierStagesRunning.AddRange(stageJobs.Where(j => decisions[j.Id] != JobDecision.Skip).Select(j => j.Id));
        }

        return new ExecutionPlan(pipeline.Name, context, true, null, pipeline.Stages, planned);
    }

    private static (JobDecision, string?) Decide(Job job, TriggerContext context, Dictionary<string, JobDecision> decisions)
    {
        if (EventMatcher.WhyConditionFails(job.Condition, context) is { } mismatch)
            return (JobDecision.Skip, mismatch);
        if (job.When != WhenPolicy.Always && job.Needs?.FirstOrDefault(n => decisions[n] == JobDecision.Skip) is { } skippedNeed)
            return (JobDecision.Skip, $"needs '{skippedNeed}', which is skipped");
        return job.When switch
        {
            WhenPolicy.Manual => (JobDecision.Manual, "when: manual: waits for someone to start it"),
            WhenPolicy.OnFailure => (JobDecision.Run, "when: on_failure: runs only if a job it depends on fails"),
            WhenPolicy.Always => (JobDecision.Run, "when: always: runs whatever happens before it"),
            _ => (JobDecision.Run, null),
        };
    }

    /// <summary>Jobs grouped by stage in stage order; within a stage, needs come first, otherwise file order.</summary>
    private static IEnumerable<List<Job>> ExecutionOrder(Pipeline pipeline)
    {
        var byStage = pipeline.Jobs.GroupBy(j => j.StageIndex).ToDictionary(g => g.Key, g => g.ToList());
        for (var stage = 0; stage < pipeline.Stages.Count; stage++)
        {
            if (byStage.TryGetValue(stage, out var jobs)) yield return TopologicalOrder(jobs);
        }
    }

    /// <summary>
    /// Kahn's algorithm over the needs inside one stage, taking the first ready job in file order each time, so that
    /// a job comes right after the jobs it waits for. Linear, however the needs are ordered in the file.
    /// </summary>
    private static List<Job> TopologicalOrder(List<Job> jobs)
    {
        var position = new Dictionary<string, int>(jobs.Count, StringComparer.Ordinal);
        for (var i = 0; i < jobs.Count; i++) position[jobs[i].Id] = i;

        var waitingFor = new int[jobs.Count];
        var dependents = new List<int>[jobs.Count];
        for (var i = 0; i < jobs.Count; i++) dependents[i] = [];
        for (var i = 0; i < jobs.Count; i++)
        {
            foreach (var need in jobs[i].Needs ?? [])
            {
                if (!position.TryGetValue(need, out var needed)) continue;
                waitingFor[i]++;
                dependents[needed].Add(i);
            }
        }

        var ready = new PriorityQueue<int, int>();
        for (var i = 0; i < jobs.Count; i++)
        {
            if (waitingFor[i] == 0) ready.Enqueue(i, i);
        }

        // The compiler rejects cycles, so every job becomes ready.
        var ordered = new List<Job>(jobs.Count);
        while (ready.TryDequeue(out var next, out _))
        {
            ordered.Add(jobs[next]);
            foreach (var dependent in dependents[next])
            {
                if (--waitingFor[dependent] == 0) ready.Enqueue(dependent, dependent);
            }
        }

        return ordered;
    }

    private static JobSpec ToSpec(Job job, Pipeline pipeline, TriggerContext context)
    {
        // Sized up front: growing it for each job was most of what planning allocated.
        var capacity = pipeline.Variables.Count + job.Variables.Count + job.MatrixValues.Count + PredefinedVariables.Count;
        var variables = new Dictionary<string, string>(capacity, StringComparer.Ordinal);
        foreach (var (name, value) in pipeline.Variables) variables[name] = value;
        foreach (var (name, value) in job.Variables) variables[name] = value;
        foreach (var (name, value) in job.MatrixValues) variables[name] = value;
        PredefinedVariables.SetIn(variables, job, context);
        return new JobSpec
        {
            Name = job.Name,
            Image = job.Image,
            Script = job.Script,
            Variables = variables,
            Services = job.Services,
            Artifacts = job.Artifacts,
            Cache = job.Cache,
            Reports = job.Reports,
            Secrets = job.Secrets,
            Timeout = job.Timeout,
            Retry = job.Retry,
            AllowFailure = job.AllowFailure,
            When = job.When,
            Blocking = job.Blocking,
            RunsOn = job.RunsOn,
            Resources = job.Resources,
            Environment = job.Environment,
        };
    }
}
