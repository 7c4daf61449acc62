import { api } from "../../api/client";
import type { JobTestReport, JobTests } from "../../api/types";
import { useAsync } from "../../hooks/useAsync";
import { ErrorNotice } from "../common/Notice";

interface TestReportSectionProps {
  runId: number;
  /** Changes when jobs finish, so that new reports are read. */
  version: string;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;

/** "3 of 412 tests failed" or "412 tests passed", as the commit status says it. */
export function testsHeadline(total: number, failing: number): string {
  return failing === 0 ? `${plural(total, "test")} passed` : `${failing} of ${plural(total, "test")} failed`;
}

/** The run's test reports: the summary, and each job's failing tests, expandable to their stack trace. */
export function TestReportSection({ runId, version }: TestReportSectionProps) {
  const tests = useAsync(() => api.tests(runId), [runId, version]);
  if (tests.error) return <ErrorNotice error={tests.error} />;
  const data = tests.data;
  if (!data || data.jobs.length === 0) return null;
  const failing = data.failed + data.errored;

  return (
    <section className="test-report" aria-label="Tests">
      <h2>
        Tests: <span className={failing > 0 ? "tests-failing" : "tests-passing"}>{testsHeadline(data.total, failing)}</span>
      </h2>
      <p className="muted test-counts">
        {data.total} total · {data.failed} failed · {data.errored} errored · {data.skipped} skipped ·{" "}
        {data.total - data.failed - data.errored - data.skipped} passed
      </p>
      {data.jobs.map((job) => (
        <JobTestsBlock key={job.job} runId={runId} job={job} version={version} />
      ))}
    </section>
  );
}

function JobTestsBlock({ runId, job, version }: { runId: number; job: JobTests; version: string }) {
  const failing = job.failed + job.errored;
  // The stack traces come with the job's full report, read only for a job with failures.
  const detail = useAsync(
    () => (failing > 0 ? api.jobTests(runId, job.job) : Promise.resolve<JobTestReport | undefined>(undefined)),
    [runId, job.job, failing, version],
  );
  const traces = detail.data?.failures ?? [];
  return (
    <div className="job-tests" aria-label={`Tests of ${job.job}`}>
      <h3>
        {job.job}: {testsHeadline(job.total, failing)}
        {job.skipped > 0 && <span className="muted"> · {job.skipped} skipped</span>}
        {detail.data && detail.data.durationMs > 0 && <span className="muted"> · {(detail.data.durationMs / 1000).toFixed(1)} s</span>}
      </h3>
      {detail.data?.problems.map((problem) => (
        <p key={problem} className="notice hint">
          Left out: {problem}
        </p>
      ))}
      {job.failures.length > 0 && (
        <ul className="test-failures">
          {job.failures.map((failure, index) => {
            const trace = traces[index];
            return (
              <li key={`${failure.className}.${failure.name}.${index}`}>
                <details>
                  <summary>
                    <span className="test-name">
                      {failure.className ? `${failure.className} › ` : ""}
                      {failure.name}
                    </span>
                    {trace?.errored && (
                      <>
                        {" "}
                        <span className="severity severity-error">errored</span>
                      </>
                    )}
                    {failure.message && <span className="test-message"> — {failure.message}</span>}
                  </summary>
                  {trace?.stackTrace ? <pre className="stack-trace">{trace.stackTrace}</pre> : <p className="muted">No stack trace.</p>}
                </details>
              </li>
            );
          })}
        </ul>
      )}
      {failing > job.failures.length && (
        <p className="muted">{failing - job.failures.length} more failing tests are counted but not listed.</p>
      )}
    </div>
  );
}
