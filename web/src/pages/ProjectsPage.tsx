import { api } from "../api/client";
import type { Project } from "../api/types";
import { ErrorNotice, Loading } from "../components/common/Notice";
import { AppShell } from "../components/Layout/AppShell";
import { ProjectCard } from "../components/Runs/ProjectCard";
import { useAsync } from "../hooks/useAsync";

/** Every project at a glance: its default branch's status and the latest run of each branch and pull request. */
export function ProjectsPage() {
  const projects = useAsync(() => api.projects(), []);
  return (
    <AppShell crumbs={[{ label: "Projects" }]}>
      <h1>Projects</h1>
      {projects.error && <ErrorNotice error={projects.error} />}
      {!projects.data && !projects.error && <Loading what="Loading projects" />}
      {projects.data?.length === 0 && (
        <p className="notice">
          No project yet. An admin registers one with <code>POST /api/projects</code> (see docs/api.md).
        </p>
      )}
      <div className="project-grid">
        {projects.data?.map((project: Project) => <ProjectCard key={project.name} project={project} />)}
      </div>
    </AppShell>
  );
}
