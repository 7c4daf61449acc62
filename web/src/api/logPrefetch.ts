import type { Client } from "./client";

// Opening a job's page starts reading its log at once, while the run itself is still loading: the log viewer then
// finds the answer already under way instead of asking only after the run has arrived and rendered.

interface Prefetched {
  runId: number;
  job: string;
  response: Promise<Response>;
  at: number;
}

const freshForMs = 10_000;
let prefetched: Prefetched | null = null;

export function prefetchLog(client: Client, runId: number, job: string): void {
  if (prefetched && prefetched.runId === runId && prefetched.job === job && Date.now() - prefetched.at < freshForMs) return;
  const response = client.log(runId, job, undefined, 0);
  response.catch(() => undefined);
  prefetched = { runId, job, response, at: Date.now() };
}

/** The prefetched beginning of the log, if it is the attempt asked for; used once. */
export async function takePrefetchedLog(runId: number, job: string, attempt: number | undefined): Promise<Response | null> {
  const entry = prefetched;
  if (!entry || entry.runId !== runId || entry.job !== job || Date.now() - entry.at > freshForMs) return null;
  prefetched = null;
  const response = await entry.response.catch(() => null);
  if (!response) return null;
  if (attempt !== undefined && response.headers.get("X-Attempt") !== String(attempt)) {
    await response.body?.cancel().catch(() => undefined);
    return null;
  }
  return response;
}
