using System.Text.Json.Nodes;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Kubernetes;
using Pipeliner.Engine.Tests.Support.Kubernetes;

namespace Pipeliner.Engine.Tests.Execution.Kubernetes;

/// <summary>The Pod and Secret a realistic job becomes, as the client sent them to the API server.</summary>
public sealed class PodSpecOnKubernetesTests
{
    private const string Yaml = """
        stages: [test]
        defaults:
          runs-on: [linux]
        jobs:
          integration-tests:
            stage: test
            image: mcr.microsoft.com/dotnet/sdk:10.0
            runs-on: [linux, gpu]
            timeout: 10m
            resources: { cpus: 1.5, memory: 512Mi, workspace: 2Gi }
            variables: { ASPNETCORE_ENVIRONMENT: Testing }
            secrets: [NUGET_TOKEN]
            services:
              - name: postgres
                image: postgres:16
                command: [postgres, -c, fsync=off]
                env: { POSTGRES_PASSWORD: test }
            script:
              - dotnet test --logger trx
        """;

    private static readonly Dictionary<string, RunsOnPlacement> Placement = new()
    {
        ["gpu"] = RunsOnPlacement.Parse("""
            gpu:
              nodeSelector: { nvidia.com/gpu.present: "true" }
              tolerations: [{ key: nvidia.com/gpu, operator: Exists, effect: NoSchedule }]
            """)["gpu"],
    };

    [Fact]
    public async Task RunAsync_SendsThePodOfTheJob_WhenARealisticJobRuns()
    {
        await using var harness = await KubernetesJobHarness.StartAsync(o => o with
        {
            ServiceAccount = "ci-job", ImagePullSecrets = ["registry-example-com"], Placement = Placement,
        });
        harness.Api.Kubelet = pod =>
        {
            pod.Start();
            pod.Write("job", "Passed! 12 tests\n");
            pod.Exit("job", 0);
            return Task.CompletedTask;
        };

        var report = await harness.RunAsync(KubernetesJobHarness.Assignment(Yaml, "integration-tests", new Dictionary<string, string> { ["NUGET_TOKEN"] = "nuget-s3cr3t" }));

        Assert.Equal(JobStatus.Succeeded, report.Outcome.Status);
        var pod = harness.Api.Requests.Single(r => r.Method == "POST" && r.PathAndQuery == "/api/v1/namespaces/ci-jobs/pods");
        var sent = JsonNode.Parse(pod.Body)!;
        var name = sent["metadata"]!["name"]!.GetValue<string>();
        Assert.StartsWith("pipeliner-17-integration-tests-1-", name, StringComparison.Ordinal);
        AssertLabels(sent["metadata"]!["labels"]!);
        var spec = sent["spec"]!;
        Assert.Equal("Never", spec["restartPolicy"]!.GetValue<string>());
        Assert.Equal(660, spec["activeDeadlineSeconds"]!.GetValue<long>()); // 10 min + the 1 min margin
        Assert.Equal("ci-job", spec["serviceAccountName"]!.GetValue<string>());
        Assert.False(spec["automountServiceAccountToken"]!.GetValue<bool>());
        Assert.False(spec["enableServiceLinks"]!.GetValue<bool>());
        Assert.Equal("registry-example-com", spec["imagePullSecrets"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("""{"nvidia.com/gpu.present":"true"}""", spec["nodeSelector"]!.ToJsonString());
        Assert.Equal("""[{"effect":"NoSchedule","key":"nvidia.com/gpu","operator":"Exists"}]""", spec["tolerations"]!.ToJsonString());
        // The workspace's limit: the kubelet evicts the Pod when the volume holds more.
        Assert.Equal("""[{"emptyDir":{"sizeLimit":"2147483648"},"name":"workspace"}]""", spec["volumes"]!.ToJsonString());
        Assert.Equal(["svc-postgres", "job", "helper"], spec["containers"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));
        AssertFetchContainer(spec["initContainers"]!.AsArray().Single()!, name);
        AssertService(spec["containers"]![0]!);
        AssertScript(spec["containers"]![1]!, name);
        Assert.Equal("pipeliner-test/busybox:latest", spec["containers"]![2]!["image"]!.GetValue<string>());
        // No secret value is in the Pod, which the namespace's viewers can read.
        Assert.DoesNotContain("nuget-s3cr3t", pod.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("attempt-credential-42", pod.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_KeepsSecretsInASecretOwnedByThePod_WhenTheJobListsSecrets()
    {
        await using var harness = await KubernetesJobHarness.StartAsync();
        harness.Api.Kubelet = pod =>
        {
            pod.Start();
            pod.Exit("job", 0);
            return Task.CompletedTask;
        };

        await harness.RunAsync(KubernetesJobHarness.Assignment(Yaml, "integration-tests", new Dictionary<string, string> { ["NUGET_TOKEN"] = "nuget-s3cr3t" }));

        var created = JsonNode.Parse(harness.Api.Requests.Single(r => r.Method == "POST" && r.PathAndQuery.EndsWith("/secrets", StringComparison.Ordinal)).Body)!;
        var name = created["metadata"]!["name"]!.GetValue<string>();
        Assert.Equal("""{"fetch-token":"attempt-credential-42","env-1":"nuget-s3cr3t"}""", created["stringData"]!.ToJsonString());
        AssertLabels(created["metadata"]!["labels"]!);
        var patch = JsonNode.Parse(harness.Api.Requests.Single(r => r.Method == "PATCH").Body)!["metadata"]!["ownerReferences"]![0]!;
        Assert.Equal("Pod", patch["kind"]!.GetValue<string>());
        Assert.Equal(name, patch["name"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(patch["uid"]!.GetValue<string>()));
        // Deleted with the Pod when the job ended.
        Assert.Empty(harness.Api.Secrets);
        Assert.Empty(harness.Api.Pods);
    }

    private static void AssertLabels(JsonNode labels)
    {
        Assert.Equal("pipeliner", labels["app.kubernetes.io/managed-by"]!.GetValue<string>());
        Assert.Equal("k8s-agent-1", labels["pipeliner.io/agent"]!.GetValue<string>());
        Assert.Equal("shop-api", labels["pipeliner.io/project"]!.GetValue<string>());
        Assert.Equal("17", labels["pipeliner.io/run"]!.GetValue<string>());
        Assert.Equal("integration-tests", labels["pipeliner.io/job"]!.GetValue<string>());
        Assert.Equal("1", labels["pipeliner.io/attempt"]!.GetValue<string>());
        Assert.Matches("^[0-9a-f]{16}$", labels["pipeliner.io/owner"]!.GetValue<string>());
    }

    private static void AssertFetchContainer(JsonNode fetch, string podName)
    {
        Assert.Equal("fetch-workspace", fetch["name"]!.GetValue<string>());
        Assert.Equal("pipeliner-test/busybox:latest", fetch["image"]!.GetValue<string>());
        Assert.Equal("FallbackToLogsOnError", fetch["terminationMessagePolicy"]!.GetValue<string>());
        Assert.Equal("""[{"mountPath":"/workspace","name":"workspace"}]""", fetch["volumeMounts"]!.ToJsonString());
        var env = fetch["env"]!.AsArray();
        Assert.Equal("http://pipeliner.test:8080/api/agent/attempts/42/source.tar", Env(env, "PIPELINER_SOURCE_URL")!["value"]!.GetValue<string>());
        Assert.Equal($"{new string('a', 64)} http://pipeliner.test:8080/api/agent/attempts/42/artifacts/package/0 dist/app.tar.gz\n",
            Env(env, "PIPELINER_ARCHIVES")!["value"]!.GetValue<string>());
        Assert.Equal($$$"""{"secretKeyRef":{"key":"fetch-token","name":"{{{podName}}}"}}""", Env(env, "PIPELINER_FETCH_TOKEN")!["valueFrom"]!.ToJsonString());
    }

    private static void AssertService(JsonNode service)
    {
        Assert.Equal("postgres:16", service["image"]!.GetValue<string>());
        Assert.Null(service["command"]);
        Assert.Equal("""["postgres","-c","fsync=off"]""", service["args"]!.ToJsonString());
        Assert.Equal("""[{"name":"POSTGRES_PASSWORD","value":"test"}]""", service["env"]!.ToJsonString());
        Assert.Null(service["volumeMounts"]);
    }

    private static void AssertScript(JsonNode script, string podName)
    {
        Assert.Equal("mcr.microsoft.com/dotnet/sdk:10.0", script["image"]!.GetValue<string>());
        Assert.Equal("/workspace", script["workingDir"]!.GetValue<string>());
        var command = script["command"]!.AsArray().Select(c => c!.GetValue<string>()).ToArray();
        Assert.Equal(["/bin/sh", "-c"], command[..2]);
        Assert.Contains("dotnet test --logger trx", command[2], StringComparison.Ordinal);
        Assert.Equal("""{"limits":{"cpu":"1500m","memory":"536870912"},"requests":{"cpu":"1500m","memory":"536870912","ephemeral-storage":"2147483648"}}""",
            script["resources"]!.ToJsonString());
        var env = script["env"]!.AsArray();
        Assert.Equal("Testing", Env(env, "ASPNETCORE_ENVIRONMENT")!["value"]!.GetValue<string>());
        Assert.Equal($$$"""{"secretKeyRef":{"key":"env-1","name":"{{{podName}}}"}}""", Env(env, "NUGET_TOKEN")!["valueFrom"]!.ToJsonString());
        Assert.Equal("""[{"mountPath":"/workspace","name":"workspace"}]""", script["volumeMounts"]!.ToJsonString());
    }

    private static JsonNode? Env(JsonArray env, string name) => env.FirstOrDefault(e => e!["name"]!.GetValue<string>() == name);
}
