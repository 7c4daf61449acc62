import type { Run } from "../../api/types";
import { Link } from "../../routing/router";
import { paths } from "../../routing/paths";
import { formatDuration } from "../common/format";
import { JobStatus } from "../JobStatus/JobStatus";
import { jobDisplayStatus } from "../StageGraph/jobDisplay";

const order = ["failed", "timed_out", "running", "waiting", "pending", "queued", "canceled", "succeeded", "skipped"];

/** A run's jobs as a reviewer reads them: problems first, each linking to its log. */
export function CheckList({ run }: { run: Run }) {
  const jobs = [...run.jobs].sort(
    (a, b) => order.indexOf(jobDisplayStatus(a).status) - order.indexOf(jobDisplayStatus(b).status),
  );
  return (
    <ul className="check-list">
      {jobs.map((job) => {
        const { status, label } = jobDisplayStatus(job);
        return (
          <li key={job.id}>
            <JobStatus status={status} label={label} />
            <Link to={paths.job(run, job.id)}>{job.id}</Link>
            <span className="muted small">
              {job.stage}
              {job.durationSeconds !== null ? ` · ${formatDuration(job.durationSeconds)}` : ""}
              {job.reason && status !== "succeeded" ? ` · ${job.reason}` : ""}
            </span>
          </li>
        );
      })}
    </ul>
  );
}
