import { takeEarly } from "./early";
import { toApiError } from "./errors";
import { csrfHeader, getCsrfToken, getToken } from "./session";
import type {
  CreatedToken,
  CreateTokenInput,
  CreateUserInput,
  Delivery,
  ForgeStatuses,
  Environment,
  EnvironmentRulesInput,
  JobTrend,
  LogPages,
  LogSearchResult,
  Me,
  Paged,
  Project,
  ProjectInput,
  PromotionOption,
  Artifact,
  JobTestReport,
  ReportComparison,
  RunFindings,
  RunTests,
  PlanPreview,
  RunRequest,
  SecretInfo,
  ProjectOverview,
  Promotion,
  Run,
  RunFailures,
  RunFilters,
  RunSummary,
  TokenInfo,
  UpdateUserInput,
  User,
} from "./types";

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface ClientOptions {
  fetch?: FetchLike;
  token?: () => string | null;
  /** The session's anti-forgery proof; read from its cookie unless given. */
  csrf?: () => string | null;
  baseUrl?: string;
}

const enc = encodeURIComponent;

/** Builds a query string from the defined, non-empty values. */
export function query(values: Record<string, string | number | undefined | null>): string {
  const parts = Object.entries(values)
    .filter(([, value]) => value !== undefined && value !== null && value !== "")
    .map(([name, value]) => `${enc(name)}=${enc(String(value))}`);
  return parts.length ? `?${parts.join("&")}` : "";
}

export function jobPath(runId: number, job: string): string {
  return `/api/runs/${runId}/jobs/${enc(job)}`;
}

/**
 * A typed client for the server's REST API. Every request carries the pasted token when there is one; otherwise the
 * browser sends the session cookie, and the anti-forgery proof goes with it, which the server wants on every write.
 */
export function createClient(options: ClientOptions = {}) {
  const fetchImpl: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const token = options.token ?? getToken;
  const csrf = options.csrf ?? getCsrfToken;
  const base = options.baseUrl ?? "";

  function headers(extra?: HeadersInit, tokenOverride?: string): Headers {
    const result = new Headers(extra);
    const value = tokenOverride ?? token();
    const proof = csrf();
    if (value) result.set("Authorization", `Bearer ${value}`);
    else if (proof) result.set(csrfHeader, proof);
    return result;
  }

  async function send(path: string, init: RequestInit = {}, tokenOverride?: string): Promise<Response> {
    const response = await fetchImpl(base + path, { ...init, headers: headers(init.headers, tokenOverride) });
    if (!response.ok) throw await toApiError(response);
    return response;
  }

  async function json<T>(path: string, init?: RequestInit, tokenOverride?: string): Promise<T> {
    const early = tokenOverride === undefined ? takeEarly(base + path) : null;
    const answered = early && (await early.catch(() => null));
    // An early refusal is asked again, so that it turns into an error with the server's words.
    if (answered?.ok) return (await answered.json()) as T;
    const accept = new Headers(init?.headers);
    accept.set("Accept", "application/json");
    const response = await send(path, { ...init, headers: accept }, tokenOverride);
    return (await response.json()) as T;
  }

  function post(path: string, body?: unknown): Promise<Response> {
    return send(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body ?? {}),
    });
  }

  function sendJson(method: string, path: string, body: unknown): Promise<Response> {
    return send(path, { method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  }

  return {
    fetch: fetchImpl,
    headers,
    baseUrl: base,

    me: (tokenOverride?: string) => json<Me>("/api/me", undefined, tokenOverride),
    /** Signs in with a password: the server answers with the session cookie. */
    signIn: (user: string, password: string, remember: boolean) => sendJson("POST", "/api/session", { user, password, remember }),
    /** Ends the session on the server and drops its cookies. */
    signOut: () => send("/api/session", { method: "DELETE" }),
    changePassword: (current: string, next: string) => sendJson("PUT", "/api/me/password", { current, new: next }),
    /** Where the browser goes to sign in with single sign-on; it comes back to `next`. */
    /** Where the browser goes after signing out of a single sign-on session: the provider's end-session page, then back. */
    singleSignOutUrl: () => `${base}/api/session/oidc/sign-out`,
    singleSignOnUrl: (next: string, remember: boolean) => `${base}/api/session/oidc${query({ next, remember: remember ? "true" : undefined })}`,
    /** Active projects, or the archived ones. */
    projects: (archived = false) => json<Project[]>(`/api/projects${query({ archived: archived ? "true" : undefined })}`),
    archiveProject: async (name: string) => (await (await post(`/api/projects/${enc(name)}/archive`)).json()) as Project,
    unarchiveProject: async (name: string) => (await (await post(`/api/projects/${enc(name)}/unarchive`)).json()) as Project,
    jobTrend: (project: string, job: string, signal?: AbortSignal) =>
      json<JobTrend>(`/api/projects/${enc(project)}/jobs/${enc(job)}/trend`, { signal }),
    project: (name: string) => json<Project>(`/api/projects/${enc(name)}`),
    createProject: async (project: ProjectInput) => (await (await sendJson("POST", "/api/projects", project)).json()) as Project,
    updateProject: async (name: string, change: ProjectInput) =>
      (await (await sendJson("PATCH", `/api/projects/${enc(name)}`, change)).json()) as Project,
    planRun: async (project: string, request: RunRequest) =>
      (await (await sendJson("POST", `/api/projects/${enc(project)}/plan`, request)).json()) as PlanPreview,
    startRun: async (project: string, request: RunRequest) =>
      (await (await sendJson("POST", `/api/projects/${enc(project)}/runs`, request)).json()) as { id: number; number: number; status: string },
    /** Deletes the project with its history; `confirm` repeats its name. */
    deleteProject: (name: string) => send(`/api/projects/${enc(name)}${query({ confirm: name })}`, { method: "DELETE" }),
    secrets: (project: string) => json<SecretInfo[]>(`/api/projects/${enc(project)}/secrets`),
    /** Adds or replaces a secret; the value goes to the server and is never read back. */
    setSecret: async (project: string, name: string, value: string, environment: string | null) =>
      (await (await sendJson("PUT", `/api/projects/${enc(project)}/secrets/${enc(name)}`, { value, environment })).json()) as SecretInfo,
    deleteSecret: (project: string, name: string, environment: string | null) =>
      send(`/api/projects/${enc(project)}/secrets/${enc(name)}${query({ environment })}`, { method: "DELETE" }),
    overview: (name: string, limit = 8) => json<ProjectOverview>(`/api/projects/${enc(name)}/overview${query({ limit })}`),
    runs: (project: string, filters: RunFilters = {}, pageSize = 20) =>
      json<Paged<RunSummary>>(`/api/projects/${enc(project)}/runs${query({ ...filters, pageSize })}`),
    pullRequestRuns: (project: string, number: number, page = 1, pageSize = 20) =>
      json<Paged<RunSummary>>(`/api/projects/${enc(project)}/pulls/${number}/runs${query({ page, pageSize })}`),
    failures: (runIds: number[]) =>
      runIds.length ? json<RunFailures[]>(`/api/runs/failures${query({ ids: runIds.join(",") })}`) : Promise.resolve([]),
    run: (id: number) => json<Run>(`/api/runs/${id}`),
    /** The run people call #number of the project. */
    runAt: (project: string, number: number) => json<Run>(`/api/projects/${enc(project)}/runs/${number}`),
    deliveries: (project: string, page = 1) => json<Paged<Delivery>>(`/api/projects/${enc(project)}/deliveries${query({ page })}`),
    redeliver: async (project: string, id: number) =>
      (await (await post(`/api/projects/${enc(project)}/deliveries/${id}/redeliver`)).json()) as Delivery,
    forgeStatuses: (id: number, signal?: AbortSignal) => json<ForgeStatuses>(`/api/runs/${id}/statuses`, { signal }),

    tests: (id: number) => json<RunTests>(`/api/runs/${id}/tests`),
    jobTests: (id: number, job: string) => json<JobTestReport>(`${jobPath(id, job)}/tests`),
    findings: (id: number) => json<RunFindings>(`/api/runs/${id}/findings`),
    reportComparison: (id: number) => json<ReportComparison>(`/api/runs/${id}/reports/comparison`),
    artifacts: (id: number) => json<Artifact[]>(`/api/runs/${id}/artifacts`),
    artifactUrl: (id: number, name: string) => `${base}/api/runs/${id}/artifacts/${enc(name)}`,
    /** The archive's bytes, read with the token a download link could not send. */
    artifactBlob: async (id: number, name: string) => (await send(`/api/runs/${id}/artifacts/${enc(name)}`)).blob(),
    cancel: (id: number) => post(`/api/runs/${id}/cancel`),
    pin: (id: number) => post(`/api/runs/${id}/pin`),
    unpin: (id: number) => post(`/api/runs/${id}/unpin`),
    retry: (id: number, jobs?: string[]) => post(`/api/runs/${id}/retry`, jobs ? { jobs } : {}),
    approve: (id: number, job: string) => post(`${jobPath(id, job)}/approve`),
    environments: (project: string) => json<Environment[]>(`/api/projects/${enc(project)}/environments`),
    setEnvironmentRules: (project: string, environment: string, rules: EnvironmentRulesInput) =>
      send(`/api/projects/${enc(project)}/environments/${enc(environment)}`, {
        method: "PUT",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(rules),
      }),
    promotionOptions: (id: number) => json<PromotionOption[]>(`/api/runs/${id}/promotions`),
    promote: async (id: number, environment: string) =>
      (await (await post(`/api/runs/${id}/promote`, { environment })).json()) as Promotion,
    redeploy: async (project: string, environment: string, deploymentId: number) =>
      (await (await post(`/api/projects/${enc(project)}/environments/${enc(environment)}/redeploy`, { deploymentId })).json()) as Promotion,

    users: () => json<User[]>("/api/users"),
    createUser: async (user: CreateUserInput) => (await (await sendJson("POST", "/api/users", user)).json()) as User,
    updateUser: async (name: string, change: UpdateUserInput) =>
      (await (await sendJson("PATCH", `/api/users/${enc(name)}`, change)).json()) as User,
    tokens: () => json<TokenInfo[]>("/api/tokens"),
    /** The answer holds the token: show it once and keep it nowhere else. */
    createToken: async (token: CreateTokenInput) => (await (await sendJson("POST", "/api/tokens", token)).json()) as CreatedToken,
    revokeToken: (id: number) => send(`/api/tokens/${id}`, { method: "DELETE" }),

    /** The raw log from a byte offset; the caller reads the body as a stream. */
    log: (id: number, job: string, attempt: number | undefined, offset: number, signal?: AbortSignal) =>
      send(`${jobPath(id, job)}/log${query({ attempt, offset })}`, { signal }),
    logPages: (id: number, job: string, attempt: number | undefined, signal?: AbortSignal) =>
      json<LogPages>(`${jobPath(id, job)}/log/pages${query({ attempt })}`, { signal }),
    searchLog: (id: number, job: string, attempt: number | undefined, q: string, signal?: AbortSignal) =>
      json<LogSearchResult>(`${jobPath(id, job)}/log/search${query({ attempt, q })}`, { signal }),
    /** A short-lived link that downloads the whole raw log without an Authorization header. */
    logDownload: async (id: number, job: string, attempt: number | undefined) =>
      (await (await post(`${jobPath(id, job)}/log/download${query({ attempt })}`)).json()) as { url: string },
  };
}

export type Client = ReturnType<typeof createClient>;

export const api: Client = createClient();
