import type { Job } from "../../api/types";
import { Link } from "../../routing/router";
import { paths, type RunRef } from "../../routing/paths";
import { elapsedSeconds, formatDuration } from "../common/format";
import { JobStatus } from "../JobStatus/JobStatus";
import { card } from "./layout";
import { isAwaitingApproval, jobDisplayStatus } from "./jobDisplay";

interface JobCardProps {
  run: RunRef;
  job: Job;
  /** Where the card sits in the graph; none: in the flow of a list (narrow screens). */
  x?: number;
  y?: number;
  selected: boolean;
  now: number;
  canApprove: boolean;
  approving: boolean;
  onApprove: (job: string) => void;
}

/** One job in the graph: its status (icon and word), duration, attempts, agent, and why it waits. */
export function JobCard({ run, job, x, y, selected, now, canApprove, approving, onApprove }: JobCardProps) {
  const { status, label } = jobDisplayStatus(job);
  const last = job.attempts[job.attempts.length - 1];
  const seconds = elapsedSeconds(job.startedAt, job.finishedAt, job.durationSeconds, now);
  const attempts = job.attempts.length > 1 ? `attempt ${job.attempts.length}` : null;
  const waiting = job.status === "pending" || job.status === "queued" || job.status === "skipped";
  // The third line says what matters most: why it waits or how it ended; where it runs is on the status line.
  const note = waiting ? job.reason : (last?.message ?? job.reason);
  const agent = waiting ? null : last?.agent;
  return (
    <div
      className={`job-card status-${status}${selected ? " selected" : ""}`}
      style={x === undefined || y === undefined ? undefined : { left: x, top: y, width: card.width, height: card.height }}
      data-job={job.id}
    >
      <div className="job-card-head">
        <Link className="job-card-name" to={paths.job(run, job.id)} title={`${job.id}: open the log`}>
          {job.id}
        </Link>
        <span className="job-card-duration">{seconds !== null ? formatDuration(seconds) : ""}</span>
      </div>
      <div className="job-card-status">
        <JobStatus status={status} label={label} compact />
        {attempts && <span className="job-card-details">{attempts}</span>}
        {job.allowFailure && <span className="job-card-details">may fail</span>}
        {agent && (
          <span className="job-card-details job-card-agent" title={`${job.id} ${job.status === "running" ? "runs" : "ran"} on agent ${agent}`}>
            on {agent}
          </span>
        )}
      </div>
      {isAwaitingApproval(job) && canApprove ? (
        <button type="button" className="approve" onClick={() => onApprove(job.id)} disabled={approving}>
          {approving ? "Approving…" : "Approve"}
        </button>
      ) : (
        note && (
          <div className="job-card-reason" title={note}>
            {note}
          </div>
        )
      )}
    </div>
  );
}
