using Pipeliner.Core.Reporting;

namespace Pipeliner.Cli.Tests.Samples;

/// <summary>
/// Every pipeline under <c>samples/pipelines/</c> is valid, plans for every event, and makes the decisions its
/// comments and the documentation promise.
/// </summary>
public sealed class SamplePipelinesTests
{
    private static readonly string[][] Events =
    [
        ["--event", "push", "--branch", "develop"],
        ["--event", "push", "--branch", "main"],
        ["--event", "push", "--branch", "feature/login"],
        ["--event", "pull_request", "--branch", "main"],
        ["--event", "tag", "--tag", "v1.2.3"],
        ["--event", "schedule"],
        ["--event", "manual", "--branch", "develop"],
    ];

    public static TheoryData<string> SampleNames()
    {
        var data = new TheoryData<string>();
        foreach (var path in SamplePaths()) data.Add(Path.GetFileName(path));
        return data;
    }

    public static TheoryData<string, string> SamplesAndEvents()
    {
        var data = new TheoryData<string, string>();
        foreach (var path in SamplePaths())
        {
            foreach (var args in Events) data.Add(Path.GetFileName(path), string.Join(' ', args));
        }

        return data;
    }

    /// <summary>Sample, plan arguments, and the expected decision of jobs ("job=decision; job=decision").</summary>
    public static TheoryData<string, string, string> Scenarios() => new()
    {
        // Gitflow: DIT from develop, release/* and hotfix/*; QA after DIT; stress nightly or manual; prod from v* tags.
        {
            "delivery.pipeliner.yml", "--event push --branch develop",
            "format=run; code-scan=run; unit-tests=run; integration-tests=run; test-report=run; package=run; " +
            "deploy-dit=run; deploy-qa=run; acceptance-tests=run; rollback-qa=run; stress=skip; deploy-prod=skip"
        },
        { "delivery.pipeliner.yml", "--event push --branch release/1.4", "deploy-dit=run; deploy-qa=run; acceptance-tests=run; deploy-prod=skip" },
        { "delivery.pipeliner.yml", "--event push --branch hotfix/1.4.1", "deploy-dit=run; deploy-qa=run; deploy-prod=skip" },
        {
            "delivery.pipeliner.yml", "--event push --branch feature/login",
            "unit-tests=run; package=run; deploy-dit=skip; deploy-qa=skip; acceptance-tests=skip; rollback-qa=skip; stress=skip; deploy-prod=skip"
        },
        { "delivery.pipeliner.yml", "--event push --branch main", "package=run; deploy-dit=skip; deploy-qa=skip; deploy-prod=skip" },
        { "delivery.pipeliner.yml", "--event pull_request --branch develop", "format=run; unit-tests=run; integration-tests=run; package=skip; deploy-dit=skip; deploy-prod=skip" },
        {
            "delivery.pipeliner.yml", "--event tag --tag v1.2.3",
            "format=run; unit-tests=run; package=run; deploy-dit=skip; deploy-qa=skip; acceptance-tests=skip; stress=skip; deploy-prod=manual"
        },
        { "delivery.pipeliner.yml", "--event schedule", "package=run; deploy-dit=skip; deploy-qa=skip; stress=run; deploy-prod=skip" },
        { "delivery.pipeliner.yml", "--event schedule --branch develop", "deploy-dit=run; deploy-qa=run; acceptance-tests=run; stress=run; deploy-prod=skip" },
        { "delivery.pipeliner.yml", "--event manual --branch release/2.0", "deploy-dit=run; deploy-qa=run; stress=run; deploy-prod=skip" },

        { "dotnet-service.pipeliner.yml", "--event push --branch main", "build=run; unit-tests=run; integration-tests=run; vulnerable-packages=run; container-image=run; deploy-staging=run; notify-failure=run" },
        { "dotnet-service.pipeliner.yml", "--event push --branch release/2.0", "container-image=run; deploy-staging=skip" },
        { "dotnet-service.pipeliner.yml", "--event pull_request --branch main", "unit-tests=run; container-image=skip; deploy-staging=skip" },
        { "dotnet-service.pipeliner.yml", "--event manual --branch main", "container-image=run; deploy-staging=run" },

        { "node-service.pipeliner.yml", "--event push --branch main", "install=run; lint=run; bundle=run; publish-npm=skip; deploy-preview=skip" },
        { "node-service.pipeliner.yml", "--event pull_request --branch main", "bundle=run; publish-npm=skip; deploy-preview=run" },
        { "node-service.pipeliner.yml", "--event tag --tag v2.1.0", "bundle=run; publish-npm=run; deploy-preview=skip" },
        { "node-service.pipeliner.yml", "--event tag --tag nightly-5", "bundle=run; publish-npm=skip" },

        // Monorepo: a component's jobs run only when its files (or the shared libraries it uses) change.
        {
            "monorepo.pipeliner.yml", "--event push --branch main --changed web/src/App.tsx --changed web/package.json",
            "web-test=run; web-build=run; web-deploy=run; api-test=skip; contracts=skip; api-image=skip; api-deploy=skip"
        },
        {
            "monorepo.pipeliner.yml", "--event push --branch main --changed api/cmd/server/main.go",
            "web-test=skip; web-build=skip; web-deploy=skip; api-test=run; contracts=skip; api-image=run; api-deploy=run"
        },
        {
            "monorepo.pipeliner.yml", "--event push --branch main --changed libs/proto/orders.proto",
            "web-test=run; web-build=run; web-deploy=run; api-test=run; contracts=run; api-image=run; api-deploy=run"
        },
        { "monorepo.pipeliner.yml", "--event push --branch feature/team/search --changed web/src/Search.tsx", "web-test=run; web-build=run; web-deploy=skip; api-test=skip" },
        { "monorepo.pipeliner.yml", "--event pull_request --branch main --changed api/store/orders.go", "web-test=skip; api-test=run; api-image=skip; api-deploy=skip" },
        { "monorepo.pipeliner.yml", "--event push --branch main", "web-test=run; api-test=run; contracts=run; web-deploy=run; api-deploy=run" },

        {
            "matrix.pipeliner.yml", "--event push --branch main",
            "test (alpine, 3.11)=run; test (alpine, 3.12)=run; test (alpine, 3.13)=run; test (bookworm, 3.11)=run; " +
            "test (bookworm, 3.12)=run; test (bookworm, 3.13)=run; lint=run; coverage=run; wheels (x86_64)=skip; wheels (aarch64)=skip; publish=skip"
        },
        { "matrix.pipeliner.yml", "--event tag --tag v0.9.0", "test (alpine, 3.11)=run; coverage=run; wheels (x86_64)=run; wheels (aarch64)=run; publish=run" },
        { "matrix.pipeliner.yml", "--event schedule", "test (bookworm, 3.13)=run; wheels (x86_64)=skip; publish=skip" },

        // Promotion: DIT at once, QA and production wait for people (promotion of the same run).
        { "promotion.pipeliner.yml", "--event push --branch develop", "package=run; deploy-dit=run; deploy-qa=manual; deploy-prod=manual" },
        { "promotion.pipeliner.yml", "--event manual --branch release/2.0", "package=run; deploy-dit=run; deploy-qa=manual; deploy-prod=manual" },

        // Ansible hand-off: the same package to DIT at once, to QA and production when promoted; production from release branches only.
        { "ansible-deploy.pipeliner.yml", "--event push --branch release/1.4", "package=run; deploy-dit=run; deploy-qa=manual; deploy-prod=manual" },
        { "ansible-deploy.pipeliner.yml", "--event push --branch develop", "package=run; deploy-dit=run; deploy-qa=manual; deploy-prod=skip" },

        // Test reports: every check runs for pushes and pull requests (the reports are collected also when they fail).
        { "test-reports.pipeliner.yml", "--event pull_request --branch main", "unit-tests=run; integration-tests=run; lint=run" },
    };

    /// <summary>Sample, plan arguments, and a fragment of the reason why the event creates no run.</summary>
    public static TheoryData<string, string, string> EventsWithoutRun() => new()
    {
        { "monorepo.pipeliner.yml", "--event push --branch main --changed docs/index.md --changed README.md", "on.push.paths" },
        { "monorepo.pipeliner.yml", "--event tag --tag v1.0.0", "tag pushes" },
        { "monorepo.pipeliner.yml", "--event push --branch release/1.0", "on.push.branches" },
        { "dotnet-service.pipeliner.yml", "--event tag --tag v1.0.0", "tag pushes" },
        { "dotnet-service.pipeliner.yml", "--event schedule", "no schedule" },
        { "node-service.pipeliner.yml", "--event schedule", "no schedule" },
        { "matrix.pipeliner.yml", "--event manual", "manual runs" },
        { "matrix.pipeliner.yml", "--event pull_request --branch develop", "on.pull_request.branches" },
        { "delivery.pipeliner.yml", "--event push --branch experiment/x", "on.push.branches" },
        { "delivery.pipeliner.yml", "--event tag --tag nightly-2025-01-01", "on.push.tags" },
        { "promotion.pipeliner.yml", "--event push --branch feature/login", "on.push.branches" },
        { "ansible-deploy.pipeliner.yml", "--event tag --tag v1.4.0", "tag pushes" },
        { "test-reports.pipeliner.yml", "--event schedule", "no schedule" },
    };

    [Fact]
    public void SamplesDirectory_HoldsEveryDocumentedSample_WhenListed()
    {
        var names = SamplePaths().Select(Path.GetFileName).ToArray();

        Assert.Contains("delivery.pipeliner.yml", names);
        Assert.Contains("dotnet-service.pipeliner.yml", names);
        Assert.Contains("node-service.pipeliner.yml", names);
        Assert.Contains("monorepo.pipeliner.yml", names);
        Assert.Contains("matrix.pipeliner.yml", names);
        Assert.Contains("promotion.pipeliner.yml", names);
        Assert.Contains("ansible-deploy.pipeliner.yml", names);
        Assert.Contains("test-reports.pipeliner.yml", names);
    }

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void Validate_ExitsZeroAndPrintsOk_WhenGivenASample(string sample)
    {
        var path = SamplePath(sample);

        var (exitCode, output, error) = RunCli("validate", path);

        Assert.True(exitCode == 0, $"validate {sample} exited {exitCode}:\n{output}{error}");
        Assert.Equal($"{path}: ok", output.Trim());
        Assert.Equal("", error);
    }

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void ValidateJson_ReportsValidWithoutErrors_WhenGivenASample(string sample)
    {
        var (exitCode, output, _) = RunCli("validate", SamplePath(sample), "--json");

        Assert.Equal(0, exitCode);
        Assert.Contains("\"valid\": true", output, StringComparison.Ordinal);
        Assert.Contains("\"errors\": []", output, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(SamplesAndEvents))]
    public void Plan_ListsEveryNeedBeforeTheJob_WhenPlanningAnyEvent(string sample, string arguments)
    {
        var report = Plan(sample, arguments);

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var job in report.Jobs)
        {
            Assert.True(seen.Add(job.Id), $"{job.Id} is planned twice");
            foreach (var need in job.Needs) Assert.True(seen.Contains(need), $"{job.Id} needs {need}, which is not planned before it");
            Assert.Contains(job.Decision, new[] { "run", "skip", "manual" });
            if (job.Decision == "skip") Assert.False(string.IsNullOrWhiteSpace(job.Reason), $"{job.Id} is skipped without a reason");
        }
    }

    [Theory]
    [MemberData(nameof(SamplesAndEvents))]
    public void PlanTable_ExitsZero_WhenPlanningAnyEvent(string sample, string arguments)
    {
        var (exitCode, output, error) = RunCli(["plan", SamplePath(sample), .. arguments.Split(' ')]);

        Assert.True(exitCode == 0, $"plan {sample} {arguments} exited {exitCode}:\n{output}{error}");
        Assert.False(string.IsNullOrWhiteSpace(output));
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Plan_DecidesAsDocumented_WhenEventMatchesScenario(string sample, string arguments, string expectations)
    {
        var report = Plan(sample, arguments);

        Assert.True(report.Triggered, $"{sample} {arguments}: no run ({report.Reason})");
        var decisions = report.Jobs.ToDictionary(j => j.Id, j => j.Decision, StringComparer.Ordinal);
        foreach (var expectation in expectations.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var (job, expected) = (expectation[..expectation.LastIndexOf('=')], expectation[(expectation.LastIndexOf('=') + 1)..]);
            Assert.True(decisions.ContainsKey(job), $"{sample} plans no job '{job}'; it plans: {string.Join(", ", decisions.Keys)}");
            var actual = report.Jobs.Single(j => j.Id == job);
            Assert.True(expected == actual.Decision, $"{sample} {arguments}: {job} is '{actual.Decision}' ({actual.Reason}), expected '{expected}'");
        }
    }

    [Theory]
    [MemberData(nameof(EventsWithoutRun))]
    public void Plan_CreatesNoRun_WhenOnExcludesTheEvent(string sample, string arguments, string reasonFragment)
    {
        var report = Plan(sample, arguments);

        Assert.False(report.Triggered);
        Assert.Empty(report.Jobs);
        Assert.Contains(reasonFragment, report.Reason ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public void DeliveryPlan_MakesProductionDeployManualAfterPackage_WhenATagSkipsDit()
    {
        var report = Plan("delivery.pipeliner.yml", "--event tag --tag v1.2.3");

        var prod = Job(report, "deploy-prod");
        Assert.Equal("manual", prod.Decision);
        Assert.Equal(["package"], prod.Needs);
        Assert.Equal("skip", Job(report, "deploy-dit").Decision);
        Assert.Equal("needs 'deploy-dit', which is skipped", Job(report, "deploy-qa").Reason);
    }

    [Fact]
    public void DeliveryPlan_SkipsQaThroughNeeds_WhenAFeatureBranchSkipsDit()
    {
        var report = Plan("delivery.pipeliner.yml", "--event push --branch feature/login");

        Assert.StartsWith("if.branches: branch 'feature/login' matches none of", Job(report, "deploy-dit").Reason, StringComparison.Ordinal);
        Assert.Equal("needs 'deploy-dit', which is skipped", Job(report, "deploy-qa").Reason);
        Assert.Equal("needs 'deploy-qa', which is skipped", Job(report, "acceptance-tests").Reason);
        Assert.Equal("needs 'acceptance-tests', which is skipped", Job(report, "rollback-qa").Reason);
    }

    [Fact]
    public void DeliveryPlan_RunsStressAfterTheRunningJobsOnly_WhenTheNightlyRunHasNoBranch()
    {
        var report = Plan("delivery.pipeliner.yml", "--event schedule");

        var stress = Job(report, "stress");
        Assert.Equal("run", stress.Decision);
        // Stage order: every job of the earlier stages that is not skipped; the skipped deploy jobs do not block it.
        Assert.Equal(["format", "code-scan", "unit-tests", "integration-tests", "test-report", "package"], stress.Needs);
    }

    [Fact]
    public void DeliveryPlan_RunsStressAfterQa_WhenTheNightlyRunIsOnDevelop()
    {
        var report = Plan("delivery.pipeliner.yml", "--event schedule --branch develop");

        var stress = Job(report, "stress");
        Assert.Equal("run", stress.Decision);
        Assert.Contains("acceptance-tests", stress.Needs);
        Assert.Contains("deploy-qa", stress.Needs);
    }

    [Fact]
    public void DeliveryPlan_KeepsTestReportDespiteFailures_WhenTestsRun()
    {
        var report = Plan("delivery.pipeliner.yml", "--event push --branch develop");

        var testReport = Job(report, "test-report");
        Assert.Equal("run", testReport.Decision);
        Assert.Equal(["unit-tests", "integration-tests"], testReport.Needs);
        Assert.StartsWith("when: always", testReport.Reason, StringComparison.Ordinal);
        Assert.StartsWith("when: on_failure", Job(report, "rollback-qa").Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void DotnetServicePlan_StartsVulnerabilityScanAtOnce_WhenNeedsIsEmpty()
    {
        var report = Plan("dotnet-service.pipeliner.yml", "--event push --branch main");

        Assert.Empty(Job(report, "vulnerable-packages").Needs);
        Assert.Equal(["build"], Job(report, "unit-tests").Needs);
        Assert.Equal(["build", "unit-tests", "integration-tests", "vulnerable-packages"], Job(report, "container-image").Needs);
    }

    [Fact]
    public void MonorepoPlan_SkipsBackendJobsWithReasons_WhenOnlyWebFilesChange()
    {
        var report = Plan("monorepo.pipeliner.yml", "--event push --branch main --changed web/src/App.tsx");

        Assert.StartsWith("if.paths: none of the 1 changed file(s) matches api/**", Job(report, "api-test").Reason, StringComparison.Ordinal);
        Assert.Equal("needs 'api-test', which is skipped", Job(report, "api-image").Reason);
        Assert.All(report.Jobs.Where(j => j.Id.StartsWith("web-", StringComparison.Ordinal)), j => Assert.Equal("run", j.Decision));
    }

    [Fact]
    public void MatrixPlan_ExpandsOsTimesVersion_WhenPlanned()
    {
        var report = Plan("matrix.pipeliner.yml", "--event tag --tag v0.9.0");

        string[] tests =
        [
            "test (alpine, 3.11)", "test (alpine, 3.12)", "test (alpine, 3.13)",
            "test (bookworm, 3.11)", "test (bookworm, 3.12)", "test (bookworm, 3.13)",
        ];
        Assert.Equal(tests, report.Jobs.Where(j => j.Id.StartsWith("test (", StringComparison.Ordinal)).Select(j => j.Id));
        Assert.Equal(["test (bookworm, 3.13)", "lint"], Job(report, "coverage").Needs);
        Assert.Equal([.. tests, "lint"], Job(report, "wheels (x86_64)").Needs);
        Assert.Equal(["wheels (x86_64)", "wheels (aarch64)"], Job(report, "publish").Needs);
    }

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void Docs_MentionTheSample_WhenItIsInTheSamplesDirectory(string sample)
    {
        var root = RepositoryRoot();
        var documents = new[] { Path.Combine(root, "docs", "pipeline-format.md"), Path.Combine(root, "samples", "pipelines", "README.md") }
            .Where(File.Exists)
            .Select(File.ReadAllText);

        Assert.True(documents.Any(text => text.Contains(sample, StringComparison.Ordinal)),
            $"{sample} is mentioned in neither docs/pipeline-format.md nor samples/pipelines/README.md");
    }

    private static PlanReportJob Job(PlanReport report, string id) =>
        report.Jobs.SingleOrDefault(j => j.Id == id) ?? throw new Xunit.Sdk.XunitException($"no job '{id}' in the plan");

    private static PlanReport Plan(string sample, string arguments)
    {
        var (exitCode, output, error) = RunCli(["plan", SamplePath(sample), .. arguments.Split(' '), "--json"]);
        Assert.True(exitCode == 0, $"plan {sample} {arguments} exited {exitCode}:\n{error}");
        return ReportJson.DeserializePlan(output) ?? throw new Xunit.Sdk.XunitException($"plan printed no JSON:\n{output}");
    }

    private static (int ExitCode, string Output, string Error) RunCli(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = CliApp.Run(args, new CliConsole(output, error));
        return (exitCode, output.ToString(), error.ToString());
    }

    private static string SamplePath(string sample) => Path.Combine(RepositoryRoot(), "samples", "pipelines", sample);

    private static string[] SamplePaths()
    {
        var paths = Directory.GetFiles(Path.Combine(RepositoryRoot(), "samples", "pipelines"), "*.yml");
        Array.Sort(paths, StringComparer.Ordinal);
        return paths;
    }

    /// <summary>The checkout the tests run from (the folder holding Pipeliner.sln).</summary>
    internal static string RepositoryRootPath => RepositoryRoot();

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Pipeliner.sln"))) return directory.FullName;
        }

        throw new InvalidOperationException($"no Pipeliner.sln above {AppContext.BaseDirectory}");
    }
}
