import type { Job, LogLineEvent } from "../../api/types";
import type { Emitter } from "../../hooks/emitter";
import { Link } from "../../routing/router";
import { paths, type RunRef } from "../../routing/paths";
import { elapsedSeconds, formatBytesShort, formatDuration } from "../common/format";
import { JobStatus } from "../JobStatus/JobStatus";
import { LogViewer } from "../LogViewer/LogViewer";
import { jobDisplayStatus } from "../StageGraph/jobDisplay";
import { JobTrends } from "../Trends/JobTrends";

interface JobPanelProps {
  run: RunRef & { id: number };
  job: Job;
  attempt?: number;
  now: number;
  logLines: Emitter<LogLineEvent>;
}

/** The selected job: its attempts, the chosen attempt's facts, and its log. */
export function JobPanel({ run, job, attempt, now, logLines }: JobPanelProps) {
  const chosen = job.attempts.find((a) => a.number === attempt) ?? job.attempts[job.attempts.length - 1];
  const { status, label } = jobDisplayStatus(job);
  return (
    <section className="job-panel" aria-label={`Job ${job.id}`}>
      <header className="job-panel-head">
        <h2>
          {job.id} <JobStatus status={status} label={label} />
        </h2>
        {job.attempts.length > 1 && (
          <nav className="attempt-tabs" aria-label="Attempts">
            {job.attempts.map((a) => (
              <Link
                key={a.number}
                to={paths.job(run, job.id, a.number)}
                aria-current={a.number === chosen?.number ? "page" : undefined}
                className="attempt-tab"
              >
                Attempt {a.number} <JobStatus status={a.status} compact />
              </Link>
            ))}
          </nav>
        )}
      </header>
      {chosen ? (
        <dl className="attempt-facts">
          <div>
            <dt>Duration</dt>
            <dd>{formatDuration(elapsedSeconds(chosen.startedAt, chosen.finishedAt, chosen.durationSeconds, now))}</dd>
          </div>
          <div>
            <dt>Agent</dt>
            <dd>{chosen.agent ?? "—"}</dd>
          </div>
          <div>
            <dt>Exit code</dt>
            <dd>{chosen.exitCode ?? "—"}</dd>
          </div>
          <div>
            <dt>Peak memory</dt>
            <dd>{formatBytesShort(chosen.peakMemoryBytes)}</dd>
          </div>
          <div>
            <dt>CPU time</dt>
            <dd>{chosen.cpuTimeMs === null || chosen.cpuTimeMs === undefined ? "—" : formatDuration(chosen.cpuTimeMs / 1000)}</dd>
          </div>
          {chosen.message && (
            <div className="wide">
              <dt>Outcome</dt>
              <dd>{chosen.message}</dd>
            </div>
          )}
        </dl>
      ) : (
        <p className="notice">
          Not started{job.reason ? `: ${job.reason}` : ""}.
        </p>
      )}
      {chosen && (
        <JobTrends
          project={run.project}
          job={job.id}
          runId={run.id}
          attempt={chosen.number}
          refresh={`${chosen.number}:${chosen.finishedAt ?? ""}`}
        />
      )}
      {chosen && (
        <LogViewer
          key={`${job.id}:${chosen.number}`}
          runId={run.id}
          job={job.id}
          attempt={chosen.number}
          live={chosen.status === "running"}
          logLines={logLines}
        />
      )}
    </section>
  );
}
