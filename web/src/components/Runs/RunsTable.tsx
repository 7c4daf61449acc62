import type { FailedJob, RunSummary } from "../../api/types";
import { Link } from "../../routing/router";
import { paths } from "../../routing/paths";
import { elapsedSeconds, firstLine, formatDuration, formatRelative, formatTime, shortSha } from "../common/format";
import { eventLabel, RunRef } from "../common/RunRef";
import { JobStatus } from "../JobStatus/JobStatus";
import { runStatusLabel } from "../JobStatus/statusLabels";

interface RunsTableProps {
  runs: RunSummary[];
  failures: Map<number, FailedJob[]>;
  now: number;
}

/** Runs, newest first: status (with links to the logs of failed jobs), commit, ref, trigger, duration. */
export function RunsTable({ runs, failures, now }: RunsTableProps) {
  if (runs.length === 0) return <p className="notice">No run matches.</p>;
  return (
    <table className="runs-table">
      <thead>
        <tr>
          <th scope="col">Status</th>
          <th scope="col">Run</th>
          <th scope="col">Commit</th>
          <th scope="col">Branch / PR</th>
          <th scope="col">Trigger</th>
          <th scope="col">Duration</th>
          <th scope="col">Created</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => (
          <tr key={run.id} data-run={run.id}>
            <td data-label="Status">
              <Link to={paths.run(run)} className="plain">
                <JobStatus status={run.status} label={runStatusLabel(run)} />
              </Link>
              {failures.get(run.id)?.map((job) => (
                <Link key={job.id} className="failed-job-link" to={paths.job(run, job.id, job.attempt)} title={`Open the log of ${job.id}`}>
                  ✕ {job.id} log
                </Link>
              ))}
            </td>
            <td data-label="Run">
              <Link to={paths.run(run)}>#{run.number}</Link>
            </td>
            <td data-label="Commit" className="commit-cell">
              <span className="commit-message">{firstLine(run.commitMessage) || <span className="muted">(no message)</span>}</span>
              <span className="muted small">
                <code>{shortSha(run.commit)}</code>
                {run.author ? ` · ${run.author}` : ""}
              </span>
            </td>
            <td data-label="Branch / PR">
              <RunRef run={run} />
            </td>
            <td data-label="Trigger">
              <span className="event">{eventLabel(run.event)}</span>
              <span className="muted small trigger" title={run.trigger}>
                {run.trigger}
              </span>
            </td>
            <td data-label="Duration">{formatDuration(elapsedSeconds(run.startedAt, run.finishedAt, run.durationSeconds, now))}</td>
            <td data-label="Created">
              <time dateTime={run.createdAt} title={formatTime(run.createdAt)}>
                {formatRelative(run.createdAt, now)}
              </time>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
