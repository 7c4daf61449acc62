import { useState } from "react";
import { api } from "../api/client";
import { finishedStatuses } from "../api/types";
import { firstLine, formatRelative, shortSha } from "../components/common/format";
import { ErrorNotice, Loading } from "../components/common/Notice";
import { Pager } from "../components/common/Pager";
import { JobStatus } from "../components/JobStatus/JobStatus";
import { runStatusLabel } from "../components/JobStatus/statusLabels";
import { AppShell } from "../components/Layout/AppShell";
import { PullRequestReports } from "../components/Reports/PullRequestReports";
import { CheckList } from "../components/Runs/CheckList";
import { RunsTable } from "../components/Runs/RunsTable";
import { useAsync } from "../hooks/useAsync";
import { useNow } from "../hooks/useNow";
import { usePolling } from "../hooks/usePolling";
import { useRunFailures } from "../hooks/useRunFailures";
import { Link } from "../routing/router";
import { paths } from "../routing/paths";

/** A pull request as its reviewer needs it: the latest run's status and checks, then every run of it. */
export function PullRequestPage({ project, number }: { project: string; number: number }) {
  const [page, setPage] = useState(1);
  const runs = useAsync(() => api.pullRequestRuns(project, number, page), [project, number, page]);
  const latestSummary = page === 1 ? runs.data?.items[0] : undefined;
  const latest = useAsync(
    () => (latestSummary ? api.run(latestSummary.id) : Promise.resolve(undefined)),
    [latestSummary?.id, latestSummary?.status],
  );
  const failures = useRunFailures(runs.data?.items);
  const unfinished = runs.data?.items.some((run) => !finishedStatuses.has(run.status)) ?? false;
  usePolling(unfinished, runs.reload);
  const now = useNow(unfinished);
  const run = latest.data;

  return (
    <AppShell
      crumbs={[
        { label: "Projects", to: paths.projects() },
        { label: project, to: paths.projectRuns(project) },
        { label: `PR #${number}` },
      ]}
    >
      <h1>Pull request #{number}</h1>
      {run?.commitMessage && <p className="commit-line">{firstLine(run.commitMessage)}</p>}
      {runs.error && <ErrorNotice error={runs.error} />}
      {!runs.data && !runs.error && <Loading what="Loading the pull request's runs" />}
      {runs.data?.total === 0 && <p className="notice">No run of this pull request yet.</p>}
      {run && (
        <section className="pr-latest" aria-label="Latest status">
          <h2>
            Latest: <JobStatus status={run.status} label={runStatusLabel(run)} />{" "}
            <Link to={paths.run(run)}>run #{run.number}</Link>
          </h2>
          <p className="muted">
            {run.sourceBranch ? `${run.sourceBranch} → ` : ""}
            {run.branch ?? ""} · commit <code>{shortSha(run.commit)}</code>
            {run.author ? ` by ${run.author}` : ""} · {formatRelative(run.createdAt, now)}
          </p>
          <CheckList run={run} />
        </section>
      )}
      {run && <PullRequestReports project={project} runId={run.id} version={run.status} />}
      {runs.data && runs.data.total > 0 && (
        <>
          <h2>Runs of this pull request</h2>
          <RunsTable runs={runs.data.items} failures={failures} now={now} />
          <Pager page={runs.data.page} pageSize={runs.data.pageSize} total={runs.data.total} onPage={setPage} />
        </>
      )}
    </AppShell>
  );
}
