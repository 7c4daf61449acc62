import type { Job, RunStatus } from "../../api/types";

/** A manual job waiting for a person shows as "waiting", not as any other pending job. */
export function isAwaitingApproval(job: Job): boolean {
  return job.manual && job.approvedBy === null && (job.status === "pending" || job.status === "queued") && /approv/i.test(job.reason ?? "");
}

export function jobDisplayStatus(job: Job): { status: RunStatus; label?: string } {
  if (isAwaitingApproval(job)) return { status: "waiting", label: "Waiting for approval" };
  return { status: job.status };
}
