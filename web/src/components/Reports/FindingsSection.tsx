import { api } from "../../api/client";
import type { Finding } from "../../api/types";
import { useAsync } from "../../hooks/useAsync";
import { ErrorNotice } from "../common/Notice";

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;

export const severityOrder: Finding["severity"][] = ["error", "warning", "note"];

export function FindingLocation({ path, line }: { path: string | null; line: number | null }) {
  if (!path) return <span className="muted">no location</span>;
  return <code>{line ? `${path}:${line}` : path}</code>;
}

/** The run's static analysis findings: counts by severity, then each job's findings, expandable. */
export function FindingsSection({ runId, version }: { runId: number; version: string }) {
  const findings = useAsync(() => api.findings(runId), [runId, version]);
  if (findings.error) return <ErrorNotice error={findings.error} />;
  const data = findings.data;
  if (!data || data.jobs.length === 0) return null;

  return (
    <section className="findings" aria-label="Static analysis">
      <h2>Static analysis</h2>
      <p className="finding-counts">
        <span className="severity severity-error">{plural(data.errors, "error")}</span>{" "}
        <span className="severity severity-warning">{plural(data.warnings, "warning")}</span>{" "}
        <span className="severity severity-note">{plural(data.notes, "note")}</span>
      </p>
      {data.jobs.map((job) => (
        <details key={job.job} className="job-findings" open={job.errors > 0}>
          <summary>
            {job.job}: {plural(job.errors, "error")}, {plural(job.warnings, "warning")}, {plural(job.notes, "note")}
          </summary>
          <table className="admin-table findings-table">
            <thead>
              <tr>
                <th>Severity</th>
                <th>Rule</th>
                <th>Message</th>
                <th>Location</th>
              </tr>
            </thead>
            <tbody>
              {[...job.findings]
                .sort((a, b) => severityOrder.indexOf(a.severity) - severityOrder.indexOf(b.severity))
                .map((finding, index) => (
                  <tr key={index}>
                    <td>
                      <span className={`severity severity-${finding.severity}`}>{finding.severity}</span>
                    </td>
                    <td>
                      <code>{finding.rule}</code>
                    </td>
                    <td>{finding.message}</td>
                    <td>
                      <FindingLocation path={finding.path} line={finding.line} />
                    </td>
                  </tr>
                ))}
            </tbody>
          </table>
        </details>
      ))}
    </section>
  );
}
