import { useState } from "react";
import { api } from "../api/client";
import type { Project } from "../api/types";
import { AppShell } from "../components/Layout/AppShell";
import { AdminOnly } from "../components/Projects/AdminOnly";
import { ProjectForm } from "../components/Projects/ProjectForm";
import { WebhookInstructions } from "../components/Projects/WebhookInstructions";
import { Link } from "../routing/router";
import { paths } from "../routing/paths";

/** Registers a project; then shows its webhook URL and secret (this once) and how to set them on the forge. */
export function NewProjectPage() {
  const [created, setCreated] = useState<{ project: Project; secret: string } | null>(null);
  return (
    <AppShell crumbs={[{ label: "Projects", to: paths.projects() }, { label: "New project" }]}>
      <h1>{created ? `${created.project.name} is registered` : "New project"}</h1>
      <AdminOnly what="register projects">
        {created ? (
          <>
            <WebhookInstructions project={created.project} secret={created.secret} />
            <p className="actions-line">
              <Link className="button primary" to={paths.projectRuns(created.project.name)}>
                Go to {created.project.name}
              </Link>{" "}
              <Link to={paths.projectSecrets(created.project.name)}>Add its secrets</Link>
            </p>
          </>
        ) : (
          <ProjectForm
            onSave={async (input) => {
              const project = await api.createProject(input);
              setCreated({ project, secret: input.webhookSecret ?? "" });
            }}
          />
        )}
      </AdminOnly>
    </AppShell>
  );
}
