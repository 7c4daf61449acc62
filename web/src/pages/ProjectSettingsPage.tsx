import { useState } from "react";
import { api } from "../api/client";
import { ErrorNotice, Loading } from "../components/common/Notice";
import { AppShell } from "../components/Layout/AppShell";
import { ProjectTabs } from "../components/Layout/ProjectTabs";
import { AdminOnly } from "../components/Projects/AdminOnly";
import { ArchiveNotice, ArchiveProjectForm } from "../components/Projects/ArchiveNotice";
import { DeleteProjectForm } from "../components/Projects/DeleteProjectForm";
import { ProjectForm } from "../components/Projects/ProjectForm";
import { WebhookInstructions } from "../components/Projects/WebhookInstructions";
import { useAsync } from "../hooks/useAsync";
import { navigate } from "../routing/router";
import { paths } from "../routing/paths";

/** A project's settings (admins): its webhook and how to set it on the forge, and the form that changes the rest. */
export function ProjectSettingsPage({ project }: { project: string }) {
  const loaded = useAsync(() => api.project(project), [project]);
  const [saved, setSaved] = useState<{ at: number; secret?: string } | null>(null);
  return (
    <AppShell crumbs={[{ label: "Projects", to: paths.projects() }, { label: project, to: paths.projectRuns(project) }, { label: "Settings" }]}>
      <h1>Settings of {project}</h1>
      <ProjectTabs project={project} current="settings" />
      <AdminOnly what="change a project's settings">
        {loaded.error && <ErrorNotice error={loaded.error} />}
        {!loaded.data && !loaded.error && <Loading what="Loading the project" />}
        {loaded.data && (
          <>
            <ArchiveNotice project={loaded.data} onChange={loaded.set} />
            <WebhookInstructions project={loaded.data} secret={saved?.secret} />
            <h2>Settings</h2>
            {saved && (
              <p className="notice success" role="status">
                Settings saved.
              </p>
            )}
            <ProjectForm
              key={saved?.at ?? 0}
              project={loaded.data}
              onSave={async (input) => {
                const project = await api.updateProject(loaded.data!.name, input);
                loaded.set(project);
                setSaved({ at: Date.now(), secret: input.webhookSecret });
              }}
            />
            <ArchiveProjectForm project={loaded.data} onArchive={async () => loaded.set(await api.archiveProject(loaded.data!.name))} />
            <DeleteProjectForm
              project={loaded.data.name}
              archived={!!loaded.data.archivedAt}
              onDelete={async () => {
                await api.deleteProject(loaded.data!.name);
                navigate(paths.projects());
              }}
              onArchive={async () => {
                await api.archiveProject(loaded.data!.name);
                navigate(paths.projects());
              }}
            />
          </>
        )}
      </AdminOnly>
    </AppShell>
  );
}
