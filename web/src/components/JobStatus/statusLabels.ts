import type { RunStatus } from "../../api/types";

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
