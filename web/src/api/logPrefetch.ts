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

declare global {
  interface Window {
    /** Started by index.html before the app loads. */
    __pipelinerLog?: Prefetched;
  }
}

let prefetched: Prefetched | null = typeof window !== "undefined" ? (window.__pipelinerLog ?? null) : null;
prefetched?.response.catch(() => undefined);

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
  // Refusals are asked again through the client, which turns them into errors people can read.
  if (!response.ok || (attempt !== undefined && response.headers.get("X-Attempt") !== String(attempt))) {
    await response.body?.cancel().catch(() => undefined);
    return null;
  }
  return response;
}
