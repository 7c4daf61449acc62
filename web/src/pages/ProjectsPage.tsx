import { api } from "../api/client";
import type { Project } from "../api/types";
import { ErrorNotice, Loading } from "../components/common/Notice";
import { AppShell } from "../components/Layout/AppShell";
import { ProjectCard } from "../components/Runs/ProjectCard";
import { useSession } from "../hooks/session";
import { useAsync } from "../hooks/useAsync";
import { Link, useLocation } from "../routing/router";
import { paths } from "../routing/paths";

/**
 * Every active project at a glance: its default branch's status and the latest run of each branch and pull request.
 * Archived projects are listed apart (`/?archived=true`).
 */
export function ProjectsPage() {
  const archived = useLocation().search.get("archived") === "true";
  const projects = useAsync(() => api.projects(archived), [archived]);
  const session = useSession();
  return (
    <AppShell crumbs={archived ? [{ label: "Projects", to: paths.projects() }, { label: "Archived" }] : [{ label: "Projects" }]}>
      <div className="page-title">
        <h1>{archived ? "Archived projects" : "Projects"}</h1>
        <Link className="button" to={archived ? paths.projects() : `${paths.projects()}?archived=true`}>
          {archived ? "Active projects" : "Archived projects"}
        </Link>
        {session.can("admin") && !archived && (
          <Link className="button primary" to={paths.newProject()}>
            New project
          </Link>
        )}
      </div>
      {projects.error && <ErrorNotice error={projects.error} />}
      {!projects.data && !projects.error && <Loading what="Loading projects" />}
      {archived && projects.data?.length === 0 && <p className="notice">No archived project.</p>}
      {!archived && projects.data?.length === 0 && (
        <p className="notice">
          No project yet. An admin registers one with “New project” (or <code>POST /api/projects</code>, see docs/api.md).
        </p>
      )}
      <div className="project-grid">
        {projects.data?.map((project: Project) => <ProjectCard key={project.name} project={project} />)}
      </div>
    </AppShell>
  );
}
