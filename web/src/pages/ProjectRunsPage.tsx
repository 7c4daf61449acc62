import { useState } from "react";
import { api, query } from "../api/client";
import { finishedStatuses, type RunFilters } from "../api/types";
import { ErrorNotice, Loading } from "../components/common/Notice";
import { Pager } from "../components/common/Pager";
import { AppShell } from "../components/Layout/AppShell";
import { ProjectTabs } from "../components/Layout/ProjectTabs";
import { RunFiltersForm } from "../components/Runs/RunFiltersForm";
import { RunsTable } from "../components/Runs/RunsTable";
import { ArchiveNotice } from "../components/Projects/ArchiveNotice";
import { RunPipelineForm } from "../components/RunPipeline/RunPipelineForm";
import { useSession } from "../hooks/session";
import { useAsync } from "../hooks/useAsync";
import { useNow } from "../hooks/useNow";
import { usePolling } from "../hooks/usePolling";
import { useRunFailures } from "../hooks/useRunFailures";
import { navigate, useLocation } from "../routing/router";
import { paths } from "../routing/paths";

const pageSize = 20;

/** A project's runs, filtered by branch, event and status, newest first, paged; filters live in the URL. */
export function ProjectRunsPage({ project }: { project: string }) {
  const { search } = useLocation();
  const filters: RunFilters = {
    branch: search.get("branch") ?? undefined,
    event: search.get("event") ?? undefined,
    status: search.get("status") ?? undefined,
    page: Number(search.get("page") ?? "1") || 1,
  };
  const key = query({ ...filters });
  const runs = useAsync(() => api.runs(project, filters, pageSize), [project, key]);
  const failures = useRunFailures(runs.data?.items);
  const unfinished = runs.data?.items.some((run) => !finishedStatuses.has(run.status)) ?? false;
  usePolling(unfinished, runs.reload);
  const now = useNow(unfinished);

  const session = useSession();
  const [running, setRunning] = useState(false);
  const details = useAsync(() => api.project(project), [project]);
  const archived = !!details.data?.archivedAt;

  const change = (next: RunFilters) => navigate(paths.projectRuns(project, query({ ...next, page: next.page === 1 ? undefined : next.page })));

  return (
    <AppShell crumbs={[{ label: "Projects", to: paths.projects() }, { label: project }]}>
      <div className="page-title">
        <h1>{project}</h1>
        {session.can("developer") && !running && details.data && !archived && (
          <button type="button" className="primary" onClick={() => setRunning(true)}>
            Run pipeline
          </button>
        )}
      </div>
      <ProjectTabs project={project} current="runs" />
      {details.data && <ArchiveNotice project={details.data} onChange={details.set} />}
      {running && details.data && !archived && (
        <RunPipelineForm
          defaultBranch={details.data.defaultBranch}
          onPreview={(request) => api.planRun(project, request)}
          onStart={async (request) => {
            const started = await api.startRun(project, request);
            navigate(paths.run({ project, number: started.number }));
          }}
          onClose={() => setRunning(false)}
        />
      )}
      <RunFiltersForm filters={filters} onChange={change} />
      {runs.error && <ErrorNotice error={runs.error} />}
      {!runs.data && !runs.error && <Loading what="Loading runs" />}
      {runs.data && (
        <>
          <RunsTable runs={runs.data.items} failures={failures} now={now} />
          <Pager page={runs.data.page} pageSize={runs.data.pageSize} total={runs.data.total} onPage={(page) => change({ ...filters, page })} />
        </>
      )}
    </AppShell>
  );
}
