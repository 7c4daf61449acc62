namespace Pipeliner.Server.Tests.Auth;

/// <summary>The least a caller must be for an endpoint: a reader (no token at all when anonymous read is on), anyone signed in, or a role.</summary>
public enum Needs
{
    Read,
    /// <summary>Anyone signed in, whatever the role; never anonymous, even with anonymous read on.</summary>
    SignedIn,
    Developer,
    ReleaseManager,
    Admin,
}

/// <summary>
/// One endpoint: its method and route template as the server maps it, a path to call (placeholders <c>{project}</c>,
/// <c>{run}</c> are filled with a real project and run), what it needs, and a body to send. Bodies of writes are
/// chosen to be refused after authorisation (400, 404, 409) where possible, so that the matrix changes little.
/// </summary>
public sealed record EndpointCase(string Method, string Template, string Path, Needs Needs, string? Body = null)
{
    public string Key => $"{Method} {Template}";
}

/// <summary>Every endpoint of the server and the role it needs. Add a row for each new endpoint (a test fails until it is here).</summary>
public static class RoleMatrix
{
    public static readonly IReadOnlyList<EndpointCase> Endpoints =
    [
        // Projects
        new("GET", "/api/projects/", "/api/projects", Needs.Read),
        new("POST", "/api/projects/", "/api/projects", Needs.Admin, "{}"),
        new("GET", "/api/projects/{project}", "/api/projects/{project}", Needs.Read),
        new("PATCH", "/api/projects/{project}", "/api/projects/{project}", Needs.Admin, "{}"),
        new("DELETE", "/api/projects/{project}", "/api/projects/{project}?confirm=not-its-name", Needs.Admin),
        new("POST", "/api/projects/{project}/archive", "/api/projects/no-such-project/archive", Needs.Admin),
        new("POST", "/api/projects/{project}/unarchive", "/api/projects/no-such-project/unarchive", Needs.Admin),

        // Runs
        new("GET", "/api/projects/{project}/runs/", "/api/projects/{project}/runs", Needs.Read),
        new("POST", "/api/projects/{project}/runs/", "/api/projects/{project}/runs", Needs.Developer, """{"commit": "not-hex"}"""),
        new("GET", "/api/projects/{project}/runs/{number:int}", "/api/projects/{project}/runs/1", Needs.Read),
        new("POST", "/api/projects/{project}/plan/", "/api/projects/{project}/plan", Needs.Developer, """{"commit": "not-hex"}"""),
        new("GET", "/api/projects/{project}/jobs/{job}/trend", "/api/projects/{project}/jobs/build/trend", Needs.Read),
        new("GET", "/api/runs/{id:long}/", "/api/runs/{run}", Needs.Read),
        new("POST", "/api/runs/{id:long}/cancel", "/api/runs/{run}/cancel", Needs.Developer),
        new("POST", "/api/runs/{id:long}/retry", "/api/runs/{run}/retry", Needs.Developer, """{"jobs": ["no-such-job"]}"""),
        new("POST", "/api/runs/{id:long}/jobs/{job}/approve", "/api/runs/{run}/jobs/build/approve", Needs.ReleaseManager),

        // Environments and promotion. Promote and redeploy need a developer to be heard, then the environment's
        // requiredRole (release-manager unless set): promote holds that default; redeploy of a deployment that does not
        // exist answers 404 to a developer before any rule (PromotionRuleTests cover the rules).
        new("GET", "/api/projects/{project}/environments/", "/api/projects/{project}/environments", Needs.Read),
        new("PUT", "/api/projects/{project}/environments/{environment}", "/api/projects/{project}/environments/qa", Needs.Admin,
            """{"approvals": -1}"""),
        new("POST", "/api/runs/{id:long}/promote", "/api/runs/{run}/promote", Needs.ReleaseManager, """{"environment": "matrix"}"""),
        new("GET", "/api/runs/{id:long}/promotions", "/api/runs/{run}/promotions", Needs.Read),
        new("POST", "/api/projects/{project}/environments/{environment}/redeploy", "/api/projects/{project}/environments/matrix/redeploy",
            Needs.Developer, """{"deploymentId": 999999}"""),

        // Test and static analysis reports
        new("GET", "/api/runs/{id:long}/tests", "/api/runs/{run}/tests", Needs.Read),
        new("GET", "/api/runs/{id:long}/jobs/{job}/tests", "/api/runs/{run}/jobs/build/tests", Needs.Read),
        new("GET", "/api/runs/{id:long}/findings", "/api/runs/{run}/findings", Needs.Read),
        new("GET", "/api/runs/{id:long}/reports/comparison", "/api/runs/{run}/reports/comparison", Needs.Read),

        // Commit statuses sent to the forge
        new("GET", "/api/runs/{id:long}/statuses", "/api/runs/{run}/statuses", Needs.Read),

        // Logs, events, artifacts
        new("GET", "/api/runs/{id:long}/jobs/{job}/log", "/api/runs/{run}/jobs/build/log", Needs.Read),
        new("GET", "/api/runs/{id:long}/events", "/api/runs/{run}/events", Needs.Read),
        new("GET", "/api/runs/{id:long}/artifacts", "/api/runs/{run}/artifacts", Needs.Read),
        new("GET", "/api/runs/{id:long}/artifacts/{name}", "/api/runs/{run}/artifacts/app", Needs.Read),

        // Dashboard read models
        new("GET", "/api/projects/{project}/overview", "/api/projects/{project}/overview", Needs.Read),
        new("GET", "/api/projects/{project}/pulls/{number:int}/runs", "/api/projects/{project}/pulls/1/runs", Needs.Read),
        new("GET", "/api/runs/failures", "/api/runs/failures?ids={run}", Needs.Read),
        new("GET", "/api/runs/{id:long}/jobs/{job}/log/pages", "/api/runs/{run}/jobs/build/log/pages", Needs.Read),
        new("GET", "/api/runs/{id:long}/jobs/{job}/log/search", "/api/runs/{run}/jobs/build/log/search?q=x", Needs.Read),
        new("POST", "/api/runs/{id:long}/jobs/{job}/log/download", "/api/runs/{run}/jobs/build/log/download", Needs.Read),

        // Search across runs' logs, the index, disk usage
        new("GET", "/api/search/logs", "/api/search/logs?q=matrix", Needs.Read),
        new("GET", "/api/admin/search/", "/api/admin/search", Needs.Admin),
        new("POST", "/api/admin/search/rebuild", "/api/admin/search/rebuild", Needs.Admin),
        new("GET", "/api/usage/", "/api/usage", Needs.Admin),

        // Retention: a project's policy, passes, pinned runs
        new("GET", "/api/projects/{project}/retention/", "/api/projects/{project}/retention", Needs.Read),
        new("PUT", "/api/projects/{project}/retention/", "/api/projects/{project}/retention", Needs.Admin, """{"maxAgeDays": 0}"""),
        new("DELETE", "/api/projects/{project}/retention/", "/api/projects/{project}/retention", Needs.Admin),
        new("POST", "/api/retention/preview", "/api/retention/preview?limit=-1", Needs.Admin),
        new("POST", "/api/retention/apply", "/api/retention/apply?limit=-1", Needs.Admin),
        new("POST", "/api/runs/{id:long}/pin", "/api/runs/999999/pin", Needs.Developer),
        new("POST", "/api/runs/{id:long}/unpin", "/api/runs/999999/unpin", Needs.Developer),

        // Webhook deliveries
        new("GET", "/api/projects/{project}/deliveries/", "/api/projects/{project}/deliveries", Needs.Developer),
        new("POST", "/api/projects/{project}/deliveries/{id:long}/redeliver", "/api/projects/{project}/deliveries/999999/redeliver", Needs.Admin),

        // Audit, tokens, users, secrets
        new("GET", "/api/audit/", "/api/audit", Needs.ReleaseManager),
        new("GET", "/api/tokens/", "/api/tokens", Needs.Admin),
        new("POST", "/api/tokens/", "/api/tokens", Needs.Admin, "{}"),
        new("DELETE", "/api/tokens/{id:int}", "/api/tokens/999999", Needs.Admin),
        new("GET", "/api/users/", "/api/users", Needs.Admin),
        new("POST", "/api/users/", "/api/users", Needs.Admin, "{}"),
        new("PATCH", "/api/users/{name}", "/api/users/no-such-user", Needs.Admin, """{"disabled": true, "password": "long enough password"}"""),
        new("PUT", "/api/me/password", "/api/me/password", Needs.SignedIn, """{"current": "not it", "new": "short"}"""),
        new("GET", "/api/projects/{project}/secrets/", "/api/projects/{project}/secrets", Needs.Admin),
        new("PUT", "/api/projects/{project}/secrets/{name}", "/api/projects/{project}/secrets/MATRIX", Needs.Admin, "{}"),
        new("DELETE", "/api/projects/{project}/secrets/{name}", "/api/projects/{project}/secrets/MATRIX", Needs.Admin),

        // Agents and their registration tokens
        new("GET", "/api/agents/", "/api/agents", Needs.Read),
        new("PATCH", "/api/agents/{name}", "/api/agents/no-such-agent", Needs.Admin, """{"disabled": true}"""),
        new("DELETE", "/api/agents/{name}", "/api/agents/no-such-agent", Needs.Admin),
        new("GET", "/api/agents/tokens/", "/api/agents/tokens", Needs.Admin),
        new("POST", "/api/agents/tokens/", "/api/agents/tokens", Needs.Admin, "not json"),
        new("DELETE", "/api/agents/tokens/{id:int}", "/api/agents/tokens/999999", Needs.Admin),

        // Hangfire's dashboard
        new("GET", "/hangfire/{**path}", "/hangfire", Needs.Admin),
    ];

    /// <summary>Endpoints open to anyone on purpose, with what protects them instead.</summary>
    public static readonly IReadOnlyDictionary<string, string> Public = new Dictionary<string, string>
    {
        ["GET /healthz"] = "health probe",
        ["GET /metrics"] = "Prometheus scraping",
        ["GET /openapi/{documentName}.json"] = "the API's description",
        ["POST /hooks/{project}"] = "the webhook signature",
        ["GET /api/me"] = "tells who the caller is; 401 for a token the server refuses",
        ["POST /api/session/"] = "signing in: the password, slowed down after failures",
        ["DELETE /api/session/"] = "signs out the caller's own session, if any",
        ["GET /api/session/oidc"] = "sends the browser to the single sign-on provider (404 when not configured)",
        ["GET /api/session/oidc/sign-out"] = "sends the browser to the provider's end-session page (or the sign-in page); signs nobody out itself",
        ["GET /api/runs/{id:long}/jobs/{job}/log/raw"] = "the download ticket in the link",
        ["POST /api/agent/register"] = "a registration token",
        ["POST /api/agent/hello"] = "an agent credential (user tokens and sessions are refused)",
        ["POST /api/agent/jobs/next"] = "an agent credential (user tokens and sessions are refused)",
        ["POST /api/agent/attempts/{id:long}/heartbeat"] = "an agent credential (user tokens and sessions are refused)",
        ["GET /api/agent/attempts/{id:long}/log"] = "an agent credential (user tokens and sessions are refused)",
        ["POST /api/agent/attempts/{id:long}/log"] = "an agent credential (user tokens and sessions are refused)",
        ["POST /api/agent/attempts/{id:long}/done"] = "an agent credential (user tokens and sessions are refused)",
        ["GET /api/agent/attempts/{id:long}/source.tar"] = "an agent credential (user tokens and sessions are refused)",
        ["GET /api/agent/attempts/{id:long}/artifacts/{job}/{index:int}"] = "an agent credential (user tokens and sessions are refused)",
        ["GET /api/agent/attempts/{id:long}/cache/{index:int}"] = "an agent credential (user tokens and sessions are refused)",
        ["PUT /api/agent/attempts/{id:long}/uploads/{kind}/{index:int}"] = "an agent credential (user tokens and sessions are refused)",
        ["GET /badge/{project}.svg"] = "shows only a branch's latest status, for README images (Pipeliner:PublicBadges=false closes it)",
    };
}
