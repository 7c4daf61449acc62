import { api } from "../../api/client";
import type { ComparedFailure } from "../../api/types";
import { useAsync } from "../../hooks/useAsync";
import { Link } from "../../routing/router";
import { paths } from "../../routing/paths";
import { ErrorNotice } from "../common/Notice";
import { FindingLocation } from "./FindingsSection";

function FailureList({ failures }: { failures: ComparedFailure[] }) {
  return (
    <ul className="test-failures">
      {failures.map((failure, index) => (
        <li key={index}>
          <span className="test-name">
            {failure.className ? `${failure.className} › ` : ""}
            {failure.name}
          </span>{" "}
          <span className="muted">({failure.job})</span>
          {failure.message && <span className="test-message"> — {failure.message}</span>}
        </li>
      ))}
    </ul>
  );
}

/**
 * A pull request's latest run against its target branch: the tests that fail only here (new failures), those already
 * failing on the target branch's newest finished run, and the new static analysis findings.
 */
export function PullRequestReports({ project, runId, version }: { project: string; runId: number; version: string }) {
  const comparison = useAsync(() => api.reportComparison(runId), [runId, version]);
  if (comparison.error) return <ErrorNotice error={comparison.error} />;
  const data = comparison.data;
  if (!data || data.newFailures.length + data.alreadyFailing.length + data.newFindings.length + data.knownFindings === 0) return null;
  const target = data.base ? (
    <>
      {data.base.branch} (<Link to={paths.run({ project, number: data.base.number })}>run #{data.base.number}</Link>)
    </>
  ) : (
    "the target branch (no finished run there yet)"
  );

  return (
    <section className="pr-reports" aria-label="Test and analysis changes">
      <h2>New failures ({data.newFailures.length})</h2>
      <p className="muted">Failing in this pull request but not on {target}.</p>
      {data.newFailures.length > 0 ? <FailureList failures={data.newFailures} /> : <p>None.</p>}
      {data.alreadyFailing.length > 0 && (
        <>
          <h3>Already failing on the target branch ({data.alreadyFailing.length})</h3>
          <FailureList failures={data.alreadyFailing} />
        </>
      )}
      <h2>New findings ({data.newFindings.length})</h2>
      {data.knownFindings > 0 && (
        <p className="muted">
          {data.knownFindings} {data.knownFindings === 1 ? "finding is" : "findings are"} on the target branch already.
        </p>
      )}
      {data.newFindings.length > 0 ? (
        <ul className="new-findings">
          {data.newFindings.map((finding, index) => (
            <li key={index}>
              <span className={`severity severity-${finding.severity}`}>{finding.severity}</span> <code>{finding.rule}</code>{" "}
              {finding.message} <FindingLocation path={finding.path} line={finding.line} />
            </li>
          ))}
        </ul>
      ) : (
        <p>None.</p>
      )}
    </section>
  );
}
