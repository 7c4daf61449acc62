import type { Job } from "../../api/types";
import { Link } from "../../routing/router";
import { paths } from "../../routing/paths";

interface PromoteButtonsProps {
  project: string;
  jobs: Job[];
  /** Whether the signed-in role meets the environment's requiredRole. */
  canPromote: (environment: string) => boolean;
  /** Why the environment is not offered (the rule that refuses it), when known. */
  whyNot?: (environment: string) => string | null;
  /** The environment being promoted to, while its request is under way. */
  busy: string | null;
  onPromote: (environment: string) => void;
}

const finished = new Set(["succeeded", "failed", "timed_out", "canceled", "skipped"]);

/** What a promotion to the environment would do now: start its manual jobs, or why not. */
function stateOf(jobs: Job[]): { open: boolean; note: string } {
  const waiting = jobs.find((job) => job.approval && job.approvedBy === null && !finished.has(job.status));
  if (waiting?.approval) {
    const { approval } = waiting;
    return { open: false, note: `asked for by ${approval.requestedBy}: ${approval.approvedBy.length} of ${approval.required} approvals` };
  }
  const open = jobs.some((job) => job.approvedBy === null && !job.approval && !finished.has(job.status) && job.status !== "running");
  if (open) return { open: true, note: "" };
  return { open: false, note: jobs.map((job) => `${job.id} ${job.status.replace("_", " ")}`).join(", ") };
}

/** One Promote button per environment the run has manual jobs for, shown to the roles its rules allow. */
export function PromoteButtons({ project, jobs, canPromote, whyNot, busy, onPromote }: PromoteButtonsProps) {
  const byEnvironment = new Map<string, Job[]>();
  for (const job of jobs) {
    if (job.manual && job.environment) byEnvironment.set(job.environment, [...(byEnvironment.get(job.environment) ?? []), job]);
  }
  if (byEnvironment.size === 0) return null;
  return (
    <div className="promotions" aria-label="Promotion">
      {[...byEnvironment].map(([environment, environmentJobs]) => {
        const state = stateOf(environmentJobs);
        return (
          <span key={environment} className="promotion">
            {canPromote(environment) && state.open && (
              <button type="button" onClick={() => onPromote(environment)} disabled={busy !== null}>
                {busy === environment ? "Promoting…" : `Promote to ${environment}`}
              </button>
            )}
            {!state.open && <span className="note">{`${environment}: ${state.note}`}</span>}
            {state.open && !canPromote(environment) && whyNot?.(environment) && (
              <span className="note refused">{`${environment} is not offered: ${whyNot(environment)}`}</span>
            )}
          </span>
        );
      })}
      <Link to={paths.environments(project)}>Environments</Link>
    </div>
  );
}
