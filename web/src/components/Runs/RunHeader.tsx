import type { Run } from "../../api/types";
import { elapsedSeconds, firstLine, formatDuration, formatRelative, formatTime, shortSha } from "../common/format";
import { eventLabel, RunRef } from "../common/RunRef";
import { JobStatus } from "../JobStatus/JobStatus";
import { runStatusLabel } from "../JobStatus/statusLabels";

/** The run's status, commit, ref, trigger and timing. */
export function RunHeader({ run, now, connected }: { run: Run; now: number; connected: boolean }) {
  const seconds = elapsedSeconds(run.startedAt, run.finishedAt, run.durationSeconds, now);
  return (
    <div className="run-header">
      <h1>
        {run.project} <span className="muted">#{run.number}</span> <JobStatus status={run.status} label={runStatusLabel(run)} />
        {connected && <span className="live-badge" title="Updates arrive as they happen"> live</span>}
      </h1>
      <p className="commit-line">
        <span className="commit-message">
          {firstLine(run.commitMessage) || (
            <span className="muted">
              {eventLabel(run.event)} run of {run.tag ?? run.branch ?? shortSha(run.commit)}
            </span>
          )}
        </span>
      </p>
      <dl className="run-meta">
        <div>
          <dt>Commit</dt>
          <dd>
            <code title={run.commit}>{shortSha(run.commit)}</code>
            {run.author ? ` by ${run.author}` : ""}
          </dd>
        </div>
        <div>
          <dt>Ref</dt>
          <dd>
            <RunRef run={run} />
            {run.sourceBranch ? <span className="muted"> from {run.sourceBranch}</span> : null}
          </dd>
        </div>
        <div>
          <dt>Trigger</dt>
          <dd>
            {eventLabel(run.event)} <span className="muted">({run.trigger})</span>
          </dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            <time dateTime={run.createdAt} title={formatTime(run.createdAt)}>
              {formatRelative(run.createdAt, now)}
            </time>
          </dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{formatDuration(seconds)}</dd>
        </div>
      </dl>
    </div>
  );
}
