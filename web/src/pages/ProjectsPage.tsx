import { api } from "../api/client";
import type { Project } from "../api/types";
import { ErrorNotice, Loading } from "../components/common/Notice";
import { AppShell } from "../components/Layout/AppShell";
import { ProjectCard } from "../components/Runs/ProjectCard";
import { useSession } from "../hooks/session";
import { useAsync } from "../hooks/useAsync";
import { Link } from "../routing/router";
import { paths } from "../routing/paths";

/** Every project at a glance: its default branch's status and the latest run of each branch and pull request. */
export function ProjectsPage() {
  const projects = useAsync(() => api.projects(), []);
  const session = useSession();
  return (
    <AppShell crumbs={[{ label: "Projects" }]}>
      <div className="page-title">
        <h1>Projects</h1>
        {session.can("admin") && (
          <Link className="button primary" to={paths.newProject()}>
            New project
          </Link>
        )}
      </div>
      {projects.error && <ErrorNotice error={projects.error} />}
      {!projects.data && !projects.error && <Loading what="Loading projects" />}
      {projects.data?.length === 0 && (
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
