import { api } from "../api/client";
import type { FailedJob, RunSummary } from "../api/types";
import { useAsync } from "./useAsync";

const failedStatuses = new Set(["failed", "timed_out"]);

/** The failed jobs of the failed runs among these, by run id: their logs are then one click away. */
export function useRunFailures(runs: RunSummary[] | undefined): Map<number, FailedJob[]> {
  const ids = (runs ?? []).filter((run) => failedStatuses.has(run.status)).map((run) => run.id);
  const key = ids.join(",");
  const failures = useAsync(() => api.failures(ids), [key]);
  return new Map((failures.data ?? []).map((entry) => [entry.runId, entry.jobs]));
}
