import type { RunStatus, RunSummary } from "../../api/types";

export const statusLabels: Record<RunStatus, string> = {
  queued: "Queued",
  pending: "Pending",
  running: "Running",
  waiting: "Waiting",
  succeeded: "Succeeded",
  failed: "Failed",
  timed_out: "Timed out",
  canceled: "Canceled",
  skipped: "Skipped",
  invalid: "Invalid",
};

export function statusLabel(status: string): string {
  return statusLabels[status as RunStatus] ?? status;
}

/** A run's status in words: a run that finished with manual jobs nobody started says so ("Succeeded, manual jobs available"). */
export function runStatusLabel(run: Pick<RunSummary, "status" | "manualJobsAvailable">): string {
  const word = statusLabel(run.status);
  return run.manualJobsAvailable ? `${word}, manual jobs available` : word;
}
