// The server's JSON shapes (docs/api.md). Dates are ISO 8601 strings.

export type RunStatus =
  | "queued"
  | "pending"
  | "running"
  | "succeeded"
  | "failed"
  | "timed_out"
  | "canceled"
  | "skipped"
  | "invalid"
  | "waiting";

export type EventKind = "push" | "pull_request" | "tag" | "schedule" | "manual";

export const eventKinds: readonly EventKind[] = ["push", "pull_request", "tag", "schedule", "manual"];

export const runStatuses: readonly RunStatus[] = [
  "queued",
  "pending",
  "running",
  "waiting",
  "succeeded",
  "failed",
  "timed_out",
  "canceled",
  "skipped",
  "invalid",
];

export const finishedStatuses: ReadonlySet<string> = new Set([
  "succeeded",
  "failed",
  "timed_out",
  "canceled",
  "skipped",
  "invalid",
]);

export type Role = "viewer" | "developer" | "release-manager" | "admin";

export interface Me {
  /** Who is signed in: the token's or the session's user. */
  name: string | null;
  user?: string | null;
  /** What the token is for ("laptop", "ci"); null for a session. */
  token?: string | null;
  /** What the request may do: for a token the lower of the token's and the user's role. */
  role: Role | null;
  anonymousRead: boolean;
  /** Signed in with the session cookie (a password or single sign-on) rather than a token. */
  session?: boolean;
  /** The session's anti-forgery proof (also in the pipeliner_csrf cookie). */
  csrfToken?: string | null;
  /** The single sign-on button's label; null when single sign-on is not configured. */
  sso?: string | null;
  /** How the session began: "password" or "oidc" (single sign-on, whose provider session ends too at sign-out). */
  signIn?: "password" | "oidc" | null;
}

export interface RunInfo {
  id: number;
  number: number;
  status: RunStatus;
  manualJobsAvailable?: boolean;
  branch: string | null;
  commit: string;
  createdAt: string;
}

export interface Project {
  name: string;
  repository: string;
  forge: string;
  pipelineFile: string;
  defaultBranch: string;
  createdAt: string;
  webhookUrl: string;
  latestDefaultBranchRun: RunInfo | null;
  allowSecretsForForks?: boolean;
  forgeApiUrl?: string | null;
  hasForgeToken?: boolean;
  /** Which clone credentials are stored ("password", "ssh"), never the credentials themselves. */
  credentialsKind?: "password" | "ssh" | null;
  /** When an admin archived it (no webhooks or new runs, history kept); null while active. */
  archivedAt?: string | null;
}

/** One finished attempt of a job in `GET /api/projects/{p}/jobs/{job}/trend`. */
export interface JobTrendPoint {
  runId: number;
  number: number;
  branch: string | null;
  attempt: number;
  status: RunStatus;
  startedAt: string;
  durationSeconds: number | null;
  peakMemoryBytes: number | null;
  cpuTimeMs: number | null;
}

export interface JobTrend {
  project: string;
  job: string;
  branch: string | null;
  /** Oldest first. */
  points: JobTrendPoint[];
  /** The memory limit (null: unlimited) and timeout the job ran under in the newest point's run; null without points. */
  limits?: { memoryBytes: number | null; timeoutSeconds: number } | null;
}

export const forges = ["github", "gitlab", "gitea", "bitbucket"] as const;

/** Clone credentials as the API takes them (write-only); every field empty removes them. */
export interface RepositoryCredentialsInput {
  username?: string;
  password?: string;
  sshPrivateKey?: string;
  sshPassphrase?: string;
  knownHosts?: string;
}

/** POST /api/projects; PATCH takes the same settings but name, repository and forge. */
export interface ProjectInput {
  name?: string;
  repository?: string;
  forge?: string;
  webhookSecret?: string;
  pipelineFile?: string;
  defaultBranch?: string;
  forgeApiUrl?: string;
  forgeToken?: string;
  allowSecretsForForks?: boolean;
  credentials?: RepositoryCredentialsInput;
}

/** A manual run: a branch (the default branch when empty) or a commit, and variables for every job. */
export interface RunRequest {
  branch?: string;
  commit?: string;
  variables?: Record<string, string>;
}

/** POST /api/projects/{project}/plan: what that run would do. */
export interface PlanPreview {
  commit: string | null;
  branch: string | null;
  runs: boolean;
  reason: string | null;
  stages: string[];
  jobs: { id: string; stage: string; decision: "run" | "skip" | "manual"; reason: string | null; needs: string[]; environment: string | null }[];
  errors: RunError[];
}

/** An archive a job saved (GET /api/runs/{id}/artifacts). */
export interface Artifact {
  name: string;
  job: string;
  path: string;
  size: number;
  sha256: string;
}

/** GET /api/runs/{id}/promotions: whether this user may promote the run to the environment now, or the rule that refuses. */
export interface PromotionOption {
  environment: string;
  jobs: string[];
  allowed: boolean;
  rule: string | null;
  reason: string | null;
  approvals: number;
}

/** A stored secret: its name and scope, never its value. */
export interface SecretInfo {
  name: string;
  environment: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface RunSummary {
  id: number;
  project: string;
  number: number;
  status: RunStatus;
  event: EventKind;
  branch: string | null;
  tag: string | null;
  commit: string;
  commitMessage: string | null;
  author: string | null;
  pullRequest: number | null;
  trigger: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationSeconds: number | null;
  /** The run finished with manual jobs nobody started; starting one reopens it. */
  manualJobsAvailable?: boolean;
  /** Retention never removes a pinned run's logs or artifacts (POST /api/runs/{id}/pin). */
  pinned?: boolean;
}

export interface Paged<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export interface Attempt {
  number: number;
  status: RunStatus;
  startedAt: string;
  finishedAt: string | null;
  durationSeconds: number | null;
  exitCode: number | null;
  message: string | null;
  peakMemoryBytes: number | null;
  /** CPU time (user + system) the script used, as the engine sampled it; null when not measured. */
  cpuTimeMs?: number | null;
  agent: string | null;
  /** For a failed attempt: its own failure (retried), a configuration fault (never retried) or lost with its server or agent. */
  cause?: "job" | "configuration" | "lost" | null;
}

export interface Job {
  id: string;
  stage: string;
  status: RunStatus;
  reason: string | null;
  needs: string[];
  manual: boolean;
  allowFailure: boolean;
  environment: string | null;
  runsOn: string[];
  approvedBy: string | null;
  /** A requested start (promotion, redeploy) that needs approvals by others. */
  approval?: JobApproval | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationSeconds: number | null;
  attempts: Attempt[];
}

export interface RunError {
  line: number;
  column: number;
  message: string;
}

export interface Run extends Omit<RunSummary, "pullRequest"> {
  pullRequest: number | null;
  /** Who pinned the run, and when (null while it is not pinned). */
  pinnedBy?: string | null;
  pinnedAt?: string | null;
  sourceBranch: string | null;
  stages: string[];
  jobs: Job[];
  errors: RunError[] | null;
}

export interface ProjectOverview {
  branches: RunSummary[];
  pullRequests: RunSummary[];
  /** The newest webhook delivery, when it failed or was refused. */
  lastDeliveryFailure: Delivery | null;
}

export type DeliveryOutcome = "received" | "retrying" | "run" | "not_triggered" | "ignored" | "invalid_signature" | "failed";

/** A webhook delivery and what became of it (GET /api/projects/{project}/deliveries). */
export interface Delivery {
  id: number;
  deliveryId: string | null;
  receivedAt: string;
  forge: string;
  event: string;
  ref: string | null;
  commit: string | null;
  outcome: DeliveryOutcome;
  message: string | null;
  runId: number | null;
  runNumber: number | null;
  nextAttemptAt: string | null;
  redeliveryOf: number | null;
  redeliverable: boolean;
}

export interface FailedJob {
  id: string;
  status: RunStatus;
  attempt: number;
}

export interface RunFailures {
  runId: number;
  jobs: FailedJob[];
}

export interface LogSearchMatch {
  line: number;
  offset: number;
  text: string;
}

export interface LogSearchResult {
  attempt: number;
  matches: LogSearchMatch[];
  truncated: boolean;
}

export interface LogPage {
  offset: number;
  line: number;
}

export interface LogPages {
  attempt: number;
  size: number;
  lines: number;
  complete: boolean;
  pageBytes: number;
  pages: LogPage[];
}

export interface LogLineEvent {
  job: string;
  attempt: number;
  time: string;
  text: string;
}

export interface RunFilters {
  branch?: string;
  event?: string;
  status?: string;
  page?: number;
}

/** GET /api/runs/{id}/statuses: the run's commit statuses on its forge and every try to deliver them. */
export interface ForgeStatuses {
  /** The project sends commit statuses (it has a forge API URL and token). */
  reports: boolean;
  contexts: ForgeStatusContext[];
  attempts: ForgeStatusAttempt[];
}

export type CommitState = "pending" | "running" | "success" | "failure" | "canceled" | "skipped";

export interface ForgeStatusContext {
  context: string;
  job: string | null;
  state: CommitState;
  /** The state the forge last accepted; null before any. */
  deliveredState: CommitState | null;
}

export interface ForgeStatusAttempt {
  context: string;
  state: CommitState;
  description: string;
  outcome: "delivered" | "failed" | "refused" | "skipped";
  httpStatus: number | null;
  message: string | null;
  at: string;
}

export interface JobApproval {
  requestedBy: string;
  required: number;
  approvedBy: string[];
}

export interface DeployedArtifact {
  job: string;
  path: string;
  sha256: string;
}

export interface Deployment {
  id: number;
  environment: string;
  runId: number;
  runNumber: number;
  job: string;
  attempt: number;
  commit: string;
  version: string;
  artifacts: DeployedArtifact[];
  /** The Pipeliner user who started it; null for an automatic deployment nobody started (see trigger). */
  deployedBy: string | null;
  approvedBy: string | null;
  deployedAt: string;
  /** What started the run: a webhook delivery, "schedule", or "manual by NAME". */
  trigger: string;
}

export interface EnvironmentRules {
  requiredRole: Role;
  requires: string[];
  approvals: number;
  branches: string[];
  tags: string[];
  configured: boolean;
}

/** The rules as `PUT /api/projects/{project}/environments/{environment}` takes them. */
export type EnvironmentRulesInput = Omit<EnvironmentRules, "configured">;

export interface Environment {
  name: string;
  rules: EnvironmentRules;
  current: Deployment | null;
  history: Deployment[];
}

export interface Promotion {
  runId: number;
  environment: string;
  jobs: string[];
  status: "started" | "waiting_for_approval";
  requiredApprovals: number;
}

export const roles: readonly Role[] = ["viewer", "developer", "release-manager", "admin"];

/** A user as admins see it (GET /api/users): `tokens` counts all their tokens, `activeTokens` those that work. */
export interface User {
  name: string;
  role: Role;
  createdAt: string;
  disabledAt: string | null;
  tokens: number;
  activeTokens: number;
  /** Can sign in with a password. */
  hasPassword?: boolean;
  /** Linked to a single sign-on account. */
  sso?: boolean;
}

export interface CreateUserInput {
  name: string;
  role: Role;
}

/** A new role, and/or disabled (true) or enabled again (false), and/or a new password; a field left out stays. */
export interface UpdateUserInput {
  role?: Role;
  disabled?: boolean;
  password?: string;
}

/** A token as lists show it (GET /api/tokens): never the token itself. */
export interface TokenInfo {
  id: number;
  user: string;
  name: string;
  role: Role;
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

/** The answer to POST /api/tokens: the only one that holds the token. */
export interface CreatedToken extends Omit<TokenInfo, "revokedAt"> {
  token: string;
}

export interface CreateTokenInput {
  user: string;
  name: string;
  /** Left out: the user's role. */
  role?: Role;
  /** ISO 8601; left out: the token does not expire. */
  expiresAt?: string;
}

/** A failing test as GET /api/runs/{id}/tests lists it. */
export interface TestFailure {
  name: string;
  className: string;
  message: string;
}

/** One job's tests (its newest attempt with a test report). */
export interface JobTests {
  job: string;
  total: number;
  failed: number;
  errored: number;
  skipped: number;
  failures: TestFailure[];
}

/** GET /api/runs/{id}/tests */
export interface RunTests {
  total: number;
  failed: number;
  errored: number;
  skipped: number;
  jobs: JobTests[];
}

/** GET /api/runs/{id}/jobs/{job}/tests: one job's report in full (stack traces, duration, files left out). */
export interface JobTestReport {
  job: string;
  attempt: number;
  total: number;
  failed: number;
  errored: number;
  skipped: number;
  durationMs: number;
  problems: string[];
  failures: (TestFailure & { stackTrace: string; errored: boolean })[];
}

export interface Finding {
  severity: "error" | "warning" | "note";
  rule: string;
  message: string;
  path: string | null;
  line: number | null;
  column: number | null;
  tool: string;
}

/** GET /api/runs/{id}/findings */
export interface RunFindings {
  errors: number;
  warnings: number;
  notes: number;
  jobs: { job: string; errors: number; warnings: number; notes: number; findings: Finding[] }[];
}

export interface ComparedFailure {
  job: string;
  name: string;
  className: string;
  message: string;
}

/** GET /api/runs/{id}/reports/comparison: against the newest finished run of the target branch. */
export interface ReportComparison {
  base: { id: number; number: number; branch: string; status: string } | null;
  newFailures: ComparedFailure[];
  alreadyFailing: ComparedFailure[];
  newFindings: { job: string; severity: Finding["severity"]; rule: string; message: string; path: string | null; line: number | null }[];
  knownFindings: number;
}
