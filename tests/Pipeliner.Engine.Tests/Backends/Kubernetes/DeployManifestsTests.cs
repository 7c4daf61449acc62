using k8s;
using k8s.Models;
using Pipeliner.Engine.Tests.Support;
using Pipeliner.Engine.Tests.Support.Kubernetes;

namespace Pipeliner.Engine.Tests.Backends.Kubernetes;

/// <summary>
/// The manifests in <c>deploy/kubernetes/</c>, read with the client library's own model deserializer (unknown fields
/// are errors) and checked for what matters: the agent's rights are a Role in the jobs' namespace and nothing more,
/// and exactly what the backend asks the API server for.
/// </summary>
public sealed class DeployManifestsTests
{
    private const string JobsNamespace = "pipeliner-jobs";
    private static readonly string[] Files = ["namespaces.yaml", "server.yaml", "agent-rbac.yaml", "agent.yaml"];

    /// <summary>The scaled-out set: <c>server-replicas.yaml</c> instead of <c>server.yaml</c>.</summary>
    private static readonly string[] ReplicaFiles = ["namespaces.yaml", "server-replicas.yaml", "agent-rbac.yaml", "agent.yaml"];

    [Fact]
    public void Manifests_ParseAsKubernetesObjects_WhenReadStrictly()
    {
        var objects = Load();

        Assert.Equal(
            ["ConfigMap", "Deployment", "Deployment", "Namespace", "Namespace", "PersistentVolumeClaim", "PersistentVolumeClaim", "Role", "RoleBinding", "Service", "ServiceAccount"],
            objects.Select(o => o.Kind).Order());
        var namespaces = objects.OfType<V1Namespace>().Select(n => n.Metadata.Name).ToHashSet();
        Assert.All(objects.Where(o => o is not V1Namespace), o => Assert.Contains(Metadata(o).NamespaceProperty, namespaces));
    }

    [Fact]
    public void AgentRbac_GrantsOnlyARoleInTheJobsNamespace_WhenApplied()
    {
        var objects = Load();

        Assert.DoesNotContain(objects, o => o.Kind is "ClusterRole" or "ClusterRoleBinding");
        var role = Assert.Single(objects.OfType<V1Role>());
        Assert.Equal(JobsNamespace, role.Metadata.NamespaceProperty);
        Assert.All(role.Rules, rule =>
        {
            Assert.Equal([""], rule.ApiGroups);
            Assert.DoesNotContain("*", rule.Verbs);
            Assert.DoesNotContain("*", rule.Resources);
            Assert.Null(rule.ResourceNames);
        });
        Assert.Equal(
            ["pods/exec: create get", "pods/log: get", "pods: create delete get list watch", "secrets: create delete deletecollection patch"],
            role.Rules.SelectMany(r => r.Resources.Select(resource => $"{resource}: {string.Join(' ', r.Verbs.Order())}")).Order(StringComparer.Ordinal));
        var binding = Assert.Single(objects.OfType<V1RoleBinding>());
        Assert.Equal((JobsNamespace, "Role", role.Metadata.Name), (binding.Metadata.NamespaceProperty, binding.RoleRef.Kind, binding.RoleRef.Name));
        var account = Assert.Single(objects.OfType<V1ServiceAccount>());
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal(("ServiceAccount", account.Metadata.Name, account.Metadata.NamespaceProperty), (subject.Kind, subject.Name, subject.NamespaceProperty));
    }

    [Fact]
    public void AgentDeployment_RunsOneKubernetesAgentWithTheBoundAccount_WhenApplied()
    {
        var objects = Load();
        var agent = objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "pipeliner-agent");
        var container = Assert.Single(agent.Spec.Template.Spec.Containers);

        Assert.Equal((1, "Recreate"), (agent.Spec.Replicas, agent.Spec.Strategy.Type));
        Assert.Equal(objects.OfType<V1ServiceAccount>().Single().Metadata.Name, agent.Spec.Template.Spec.ServiceAccountName);
        Assert.Equal("agent", container.Args[0]);
        Assert.Contains("--backend=kubernetes", container.Args);
        Assert.Equal(JobsNamespace, container.Env.Single(e => e.Name == "PIPELINER_KUBERNETES_NAMESPACE").Value);
        Assert.NotNull(container.Env.Single(e => e.Name == "PIPELINER_AGENT_TOKEN").ValueFrom.SecretKeyRef);
        var placement = objects.OfType<V1ConfigMap>().Single().Data["placement.yaml"];
        Assert.Equal("true", Pipeliner.Engine.Kubernetes.RunsOnPlacement.Parse(placement)["gpu"].NodeSelector["nvidia.com/gpu.present"]);
        Assert.False(container.SecurityContext.AllowPrivilegeEscalation);
    }

    [Fact]
    public void ServerDeployment_IsOneSqliteReplicaOnItsClaim_WhenApplied()
    {
        var objects = Load();
        var server = objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "pipeliner-server");
        var claim = objects.OfType<V1PersistentVolumeClaim>().Single(c => c.Metadata.Name == "pipeliner-data");
        var service = objects.OfType<V1Service>().Single();

        Assert.Equal((1, "Recreate"), (server.Spec.Replicas, server.Spec.Strategy.Type));
        Assert.Equal(claim.Metadata.Name, server.Spec.Template.Spec.Volumes.Single(v => v.Name == "data").PersistentVolumeClaim.ClaimName);
        Assert.False(server.Spec.Template.Spec.AutomountServiceAccountToken);
        Assert.All(service.Spec.Selector, s => Assert.Equal(s.Value, server.Spec.Template.Metadata.Labels[s.Key]));
        Assert.Equal("0", server.Spec.Template.Spec.Containers.Single().Env.Single(e => e.Name == "Pipeliner__Agent__Capacity").Value);
    }

    [Fact]
    public void ServerReplicas_AreTwoPodsOnPostgresFromASecret_WithAMigrationJobAndTheServiceOverThem()
    {
        var objects = Load(ReplicaFiles);
        Assert.Equal(
            ["ConfigMap", "Deployment", "Deployment", "Job", "Namespace", "Namespace", "PersistentVolumeClaim", "PodDisruptionBudget", "Role", "RoleBinding", "Service", "ServiceAccount"],
            objects.Select(o => o.Kind).Order());
        var namespaces = objects.OfType<V1Namespace>().Select(n => n.Metadata.Name).ToHashSet();
        Assert.All(objects.Where(o => o is not V1Namespace), o => Assert.Contains(Metadata(o).NamespaceProperty, namespaces));

        var server = objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "pipeliner-server");
        Assert.Equal((2, "RollingUpdate"), (server.Spec.Replicas, server.Spec.Strategy.Type));
        Assert.Equal("0", server.Spec.Strategy.RollingUpdate.MaxUnavailable.Value);
        var pod = server.Spec.Template.Spec;
        Assert.All(pod.Volumes, v => Assert.Null(v.PersistentVolumeClaim));
        var container = pod.Containers.Single();
        AssertOnPostgresFromSecret(container);
        Assert.Equal("0", container.Env.Single(e => e.Name == "Pipeliner__Agent__Capacity").Value);

        var migration = objects.OfType<V1Job>().Single();
        var migrate = migration.Spec.Template.Spec.Containers.Single();
        Assert.Equal(["--Pipeliner:Database:MigrateOnly=true"], migrate.Args);
        Assert.Equal("Never", migration.Spec.Template.Spec.RestartPolicy);
        Assert.Equal(container.Image, migrate.Image);
        AssertOnPostgresFromSecret(migrate);

        // The Service and the disruption budget select the server's Pods and never the migration's.
        var service = objects.OfType<V1Service>().Single();
        var budget = objects.OfType<V1PodDisruptionBudget>().Single();
        foreach (var selector in new[] { service.Spec.Selector, budget.Spec.Selector.MatchLabels })
        {
            Assert.All(selector, s => Assert.Equal(s.Value, server.Spec.Template.Metadata.Labels[s.Key]));
            Assert.Contains(selector, s => !migration.Spec.Template.Metadata.Labels.TryGetValue(s.Key, out var value) || value != s.Value);
        }

        // The agent reaches the replicas through that Service.
        var agent = objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "pipeliner-agent").Spec.Template.Spec.Containers.Single();
        Assert.Contains($"--server=http://{service.Metadata.Name}.{service.Metadata.NamespaceProperty}.svc.cluster.local", agent.Args);
    }

    private static void AssertOnPostgresFromSecret(V1Container container)
    {
        Assert.Equal("postgres", container.Env.Single(e => e.Name == "Pipeliner__Database__Provider").Value);
        var connection = container.Env.Single(e => e.Name == "ConnectionStrings__Pipeliner");
        Assert.Null(connection.Value);
        Assert.Equal(("pipeliner-database", "connection-string"), (connection.ValueFrom.SecretKeyRef.Name, connection.ValueFrom.SecretKeyRef.Key));
    }

    [Fact]
    public async Task AgentRole_AllowsEveryRequestTheBackendMakes_WhenAJobRunsAndPredecessorsAreRemoved()
    {
        var role = Load().OfType<V1Role>().Single();
        await using var harness = await KubernetesJobHarness.StartAsync(o => o with { Namespace = JobsNamespace });
        harness.Api.Kubelet = async pod =>
        {
            // The backend reads the pending Pod, then watches it: start it only once the watch is open, however slow the machine.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!harness.Api.Requests.Any(r => Permission(r) == ("pods", "watch")) && DateTime.UtcNow < deadline)
                await Task.Delay(20);
            pod.Start();
            pod.Write("job", "ok\n");
            await Task.Delay(200);
            pod.Exit("job", 0);
        };
        await harness.Backend.CheckAvailableAsync(CancellationToken.None);
        await harness.Backend.RemoveOrphansAsync(CancellationToken.None);
        await harness.RunAsync(KubernetesJobHarness.Assignment(
            "stages: [s]\njobs:\n  build: { stage: s, image: alpine:3, secrets: [TOKEN], script: [make] }\n", "build",
            new Dictionary<string, string> { ["TOKEN"] = "t" }));

        var needed = harness.Api.Requests.Select(Permission).Append((Resource: "pods/exec", Verb: "create")).Distinct().ToList();

        Assert.Contains(("pods", "watch"), needed);
        Assert.Contains(("secrets", "patch"), needed);
        Assert.All(needed, permission => Assert.True(
            role.Rules.Any(r => r.Resources.Contains(permission.Resource) && r.Verbs.Contains(permission.Verb)),
            $"the Role does not allow {permission.Verb} on {permission.Resource}"));
    }

    /// <summary>The resource and verb the API server authorizes a request as.</summary>
    private static (string Resource, string Verb) Permission(RecordedRequest request)
    {
        var path = request.PathAndQuery.Split('?')[0].Split('/', StringSplitOptions.RemoveEmptyEntries)[4..];
        var query = request.PathAndQuery.Contains('?') ? request.PathAndQuery.Split('?')[1] : "";
        var resource = path.Length == 3 ? $"{path[0]}/{path[2]}" : path[0];
        var verb = (request.Method, path.Length) switch
        {
            ("GET", 1) => query.Contains("watch=true", StringComparison.Ordinal) ? "watch" : "list",
            ("GET", _) => resource == "pods/exec" ? "create" : "get",
            ("POST", _) => "create",
            ("PATCH", _) => "patch",
            ("DELETE", 1) => "deletecollection",
            ("DELETE", _) => "delete",
            _ => throw new InvalidOperationException($"unexpected request {request.Method} {request.PathAndQuery}"),
        };
        return (resource, verb);
    }

    private static List<IKubernetesObject> Load() => Load(Files);

    private static List<IKubernetesObject> Load(string[] files) =>
        files.SelectMany(file => KubernetesYaml.LoadAllFromString(File.ReadAllText(RepositoryRoot.Combine("deploy", "kubernetes", file)), strict: true))
            .Cast<IKubernetesObject>()
            .ToList();

    private static V1ObjectMeta Metadata(IKubernetesObject item) => ((IMetadata<V1ObjectMeta>)item).Metadata;
}
