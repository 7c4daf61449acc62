import { api } from "../../api/client";
import type { JobTestReport, JobTests } from "../../api/types";
import { useAsync } from "../../hooks/useAsync";
import { ErrorNotice } from "../common/Notice";
import { formatDuration } from "../common/format";

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

/** How long a report's tests took: "4.2 s" under a minute, "3m 05s" beyond. */
export function testsDuration(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : formatDuration(ms / 1000);
}

/**
 * The run's test reports: the summary with the tests' duration, and each job's (its duration, its failing tests
 * expandable to their stack trace). Each job's full report is read along: it holds the duration and the stack traces.
 */
export function TestReportSection({ runId, version }: TestReportSectionProps) {
  const tests = useAsync(async () => {
    const run = await api.tests(runId);
    // A job's full report that cannot be read leaves only its duration and stack traces out.
    const details = await Promise.all(run.jobs.map((job) => api.jobTests(runId, job.job).catch(() => undefined)));
    return { run, details };
  }, [runId, version]);
  if (tests.error) return <ErrorNotice error={tests.error} />;
  const data = tests.data?.run;
  if (!data || data.jobs.length === 0) return null;
  const details = tests.data?.details ?? [];
  const failing = data.failed + data.errored;
  const durationMs = details.reduce((sum, detail) => sum + (detail?.durationMs ?? 0), 0);

  return (
    <section className="test-report" aria-label="Tests">
      <h2>
        Tests: <span className={failing > 0 ? "tests-failing" : "tests-passing"}>{testsHeadline(data.total, failing)}</span>
      </h2>
      <p className="muted test-counts">
        {data.total} total · {data.failed} failed · {data.errored} errored · {data.skipped} skipped ·{" "}
        {data.total - data.failed - data.errored - data.skipped} passed
        {durationMs > 0 && <> · {testsDuration(durationMs)}</>}
      </p>
      {data.jobs.map((job, index) => (
        <JobTestsBlock key={job.job} job={job} detail={details[index]} />
      ))}
    </section>
  );
}

function JobTestsBlock({ job, detail }: { job: JobTests; detail: JobTestReport | undefined }) {
  const failing = job.failed + job.errored;
  const traces = detail?.failures ?? [];
  return (
    <div className="job-tests" aria-label={`Tests of ${job.job}`}>
      <h3>
        {job.job}: {testsHeadline(job.total, failing)}
        {job.skipped > 0 && <span className="muted"> · {job.skipped} skipped</span>}
        {detail && detail.durationMs > 0 && <span className="muted"> · {testsDuration(detail.durationMs)}</span>}
      </h3>
      {detail?.problems.map((problem) => (
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
