// Where each page lives, in one place.

const enc = encodeURIComponent;

export const paths = {
  projects: () => "/",
  projectRuns: (project: string, query = "") => `/projects/${enc(project)}${query}`,
  environments: (project: string) => `/projects/${enc(project)}/environments`,
  deliveries: (project: string, query = "") => `/projects/${enc(project)}/deliveries${query}`,
  pullRequest: (project: string, number: number) => `/projects/${enc(project)}/pulls/${number}`,
  run: (id: number) => `/runs/${id}`,
  job: (id: number, job: string, attempt?: number) =>
    `/runs/${id}/jobs/${enc(job)}${attempt !== undefined ? `?attempt=${attempt}` : ""}`,
  adminUsers: () => "/admin/users",
  account: () => "/account",
  logSearch: (query = "") => `/search${query}`,
  signIn: (next?: string) => `/sign-in${next ? `?next=${enc(next)}` : ""}`,
};

export const routes = {
  projects: "/",
  projectRuns: "/projects/:project",
  environments: "/projects/:project/environments",
  deliveries: "/projects/:project/deliveries",
  pullRequest: "/projects/:project/pulls/:number",
  run: "/runs/:id",
  job: "/runs/:id/jobs/:job",
  adminUsers: "/admin/users",
  account: "/account",
  logSearch: "/search",
  signIn: "/sign-in",
};
