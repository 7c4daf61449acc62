// Where each page lives, in one place.

const enc = encodeURIComponent;

/** A run as people name it: the project and its number there (#14 of shop-api), not the server's id. */
export interface RunRef {
  project: string;
  number: number;
}

export const paths = {
  projects: () => "/",
  projectRuns: (project: string, query = "") => `/projects/${enc(project)}${query}`,
  newProject: () => "/new-project",
  projectSettings: (project: string) => `/projects/${enc(project)}/settings`,
  projectSecrets: (project: string) => `/projects/${enc(project)}/secrets`,
  environments: (project: string) => `/projects/${enc(project)}/environments`,
  deliveries: (project: string, query = "") => `/projects/${enc(project)}/deliveries${query}`,
  pullRequest: (project: string, number: number) => `/projects/${enc(project)}/pulls/${number}`,
  run: (run: RunRef) => `/projects/${enc(run.project)}/runs/${run.number}`,
  job: (run: RunRef, job: string, attempt?: number) =>
    `/projects/${enc(run.project)}/runs/${run.number}/jobs/${enc(job)}${attempt !== undefined ? `?attempt=${attempt}` : ""}`,
  /** A job by its run's server id, for answers that carry only the id (an agent's running jobs). */
  jobByRunId: (runId: number, job: string, attempt?: number) =>
    `/runs/${runId}/jobs/${enc(job)}${attempt !== undefined ? `?attempt=${attempt}` : ""}`,
  adminUsers: () => "/admin/users",
  agents: () => "/agents",
  account: () => "/account",
  logSearch: (query = "") => `/search${query}`,
  signIn: (next?: string) => `/sign-in${next ? `?next=${enc(next)}` : ""}`,
};

export const routes = {
  projects: "/",
  projectRuns: "/projects/:project",
  newProject: "/new-project",
  projectSettings: "/projects/:project/settings",
  projectSecrets: "/projects/:project/secrets",
  environments: "/projects/:project/environments",
  deliveries: "/projects/:project/deliveries",
  pullRequest: "/projects/:project/pulls/:number",
  projectRun: "/projects/:project/runs/:number",
  projectJob: "/projects/:project/runs/:number/jobs/:job",
  // The addresses by id that older links (and commit statuses sent before) use keep working.
  run: "/runs/:id",
  job: "/runs/:id/jobs/:job",
  adminUsers: "/admin/users",
  agents: "/agents",
  account: "/account",
  logSearch: "/search",
  signIn: "/sign-in",
};
