import { api } from "../../api/client";
import type { Project, RunSummary } from "../../api/types";
import { useAsync } from "../../hooks/useAsync";
import { Link } from "../../routing/router";
import { paths } from "../../routing/paths";
import { formatRelative, shortSha } from "../common/format";
import { LastDeliveryFailure } from "../Deliveries/LastDeliveryFailure";
import { JobStatus } from "../JobStatus/JobStatus";
import { runStatusLabel } from "../JobStatus/statusLabels";

/** One project: default-branch status, then the latest run of each recent branch and pull request. */
export function ProjectCard({ project }: { project: Project }) {
  const overview = useAsync(() => api.overview(project.name), [project.name]);
  const latest = project.latestDefaultBranchRun;
  return (
    <article className="project-card" data-project={project.name}>
      <header>
        <h2>
          <Link to={paths.projectRuns(project.name)}>{project.name}</Link>
          {project.archivedAt && <span className="badge archived-badge">Archived</span>}
        </h2>
        <div className="project-default">
          {latest ? (
            <Link to={paths.run({ project: project.name, number: latest.number })} className="plain">
              <JobStatus status={latest.status} label={runStatusLabel(latest)} /> <span className="muted">{project.defaultBranch} #{latest.number}</span>
            </Link>
          ) : (
            <span className="muted">No run on {project.defaultBranch} yet</span>
          )}
        </div>
      </header>
      <p className="muted small repo" title={project.repository}>
        {project.repository}
      </p>
      {overview.data?.lastDeliveryFailure && <LastDeliveryFailure project={project.name} delivery={overview.data.lastDeliveryFailure} />}
      {overview.data && overview.data.branches.length > 0 && (
        <RunList title="Branches" runs={overview.data.branches} label={(run) => run.branch ?? run.tag ?? "—"} />
      )}
      {overview.data && overview.data.pullRequests.length > 0 && (
        <RunList
          title="Pull requests"
          runs={overview.data.pullRequests}
          label={(run) => `PR #${run.pullRequest}`}
          to={(run) => paths.pullRequest(project.name, run.pullRequest ?? 0)}
        />
      )}
    </article>
  );
}

function RunList({ title, runs, label, to }: { title: string; runs: RunSummary[]; label: (run: RunSummary) => string; to?: (run: RunSummary) => string }) {
  return (
    <section>
      <h3 className="small-heading">{title}</h3>
      <ul className="mini-runs">
        {runs.map((run) => (
          <li key={run.id}>
            <Link to={to ? to(run) : paths.run(run)} className="mini-run-ref">
              {label(run)}
            </Link>
            <Link to={paths.run(run)} className="plain">
              <JobStatus status={run.status} label={runStatusLabel(run)} compact />
            </Link>
            <span className="muted small">
              #{run.number} · {shortSha(run.commit)} · {formatRelative(run.createdAt)}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
