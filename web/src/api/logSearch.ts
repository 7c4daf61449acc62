import { api, query, type Client } from "./client";
import { toApiError } from "./errors";

/** A line of some run's log holding the searched text (GET /api/search/logs). */
export interface RunLogMatch {
  runId: number;
  project: string;
  number: number;
  branch: string | null;
  job: string;
  attempt: number;
  line: number;
  text: string;
}

export interface RunLogSearch {
  matches: RunLogMatch[];
  truncated: boolean;
  tookMs: number;
}

export interface LogSearchFilters {
  q: string;
  project?: string;
  branch?: string;
  status?: string;
  since?: string;
  until?: string;
}

export const minQueryLength = 3;

/** Searches every run's logs; the server answers newest run first. */
export async function searchLogs(filters: LogSearchFilters, signal?: AbortSignal, client: Client = api): Promise<RunLogSearch> {
  const response = await client.fetch(`${client.baseUrl}/api/search/logs${query({ ...filters, limit: 500 })}`, {
    headers: client.headers({ Accept: "application/json" }),
    signal,
  });
  if (!response.ok) throw await toApiError(response);
  return (await response.json()) as RunLogSearch;
}

/** Matches grouped by run, then by job and attempt, in the server's order. */
export interface RunGroup {
  runId: number;
  project: string;
  number: number;
  branch: string | null;
  jobs: { job: string; attempt: number; matches: RunLogMatch[] }[];
}

export function groupByRun(matches: RunLogMatch[]): RunGroup[] {
  const runs: RunGroup[] = [];
  for (const match of matches) {
    let run = runs[runs.length - 1];
    if (!run || run.runId !== match.runId) {
      run = { runId: match.runId, project: match.project, number: match.number, branch: match.branch, jobs: [] };
      runs.push(run);
    }
    let job = run.jobs.find((j) => j.job === match.job && j.attempt === match.attempt);
    if (!job) {
      job = { job: match.job, attempt: match.attempt, matches: [] };
      run.jobs.push(job);
    }
    job.matches.push(match);
  }
  return runs;
}
