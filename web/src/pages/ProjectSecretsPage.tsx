import { api } from "../api/client";
import type { SecretInfo } from "../api/types";
import { ErrorNotice, Loading } from "../components/common/Notice";
import { AppShell } from "../components/Layout/AppShell";
import { ProjectTabs } from "../components/Layout/ProjectTabs";
import { AdminOnly } from "../components/Projects/AdminOnly";
import { SecretForm } from "../components/Secrets/SecretForm";
import { secretKey, SecretsTable } from "../components/Secrets/SecretsTable";
import { useAction } from "../hooks/useAction";
import { useAsync } from "../hooks/useAsync";
import { useNow } from "../hooks/useNow";
import { paths } from "../routing/paths";

/** A project's secrets (admins): names and scopes, add, replace, delete; values are write-only. */
export function ProjectSecretsPage({ project }: { project: string }) {
  return (
    <AppShell crumbs={[{ label: "Projects", to: paths.projects() }, { label: project, to: paths.projectRuns(project) }, { label: "Secrets" }]}>
      <h1>Secrets of {project}</h1>
      <ProjectTabs project={project} current="secrets" />
      <AdminOnly what="manage a project's secrets">
        <Secrets project={project} />
      </AdminOnly>
    </AppShell>
  );
}

function Secrets({ project }: { project: string }) {
  const secrets = useAsync(() => api.secrets(project), [project]);
  const action = useAction();
  const now = useNow(true, 30_000);
  const save = async (name: string, value: string, environment: string | null) => {
    await api.setSecret(project, name, value, environment);
    secrets.reload();
  };
  const remove = (secret: SecretInfo) => {
    const scope = secret.environment ? ` for ${secret.environment}` : "";
    if (!window.confirm(`Delete the secret ${secret.name}${scope}? Jobs that list it will fail until it is set again.`)) return;
    void action.run(secretKey(secret), () => api.deleteSecret(project, secret.name, secret.environment)).then((ok) => ok && secrets.reload());
  };
  return (
    <>
      <p className="muted">
        A job gets the secrets its <code>secrets:</code> lists, as environment variables, masked in its log; a secret set for an environment
        is given to that environment's jobs instead of the project-wide one of the same name.
      </p>
      {secrets.error && <ErrorNotice error={secrets.error} />}
      {action.error && <ErrorNotice error={action.error} />}
      {!secrets.data && !secrets.error && <Loading what="Loading secrets" />}
      {secrets.data && <SecretsTable secrets={secrets.data} now={now} onReplace={save} onDelete={remove} busy={action.busy} />}
      <h2>Add a secret</h2>
      <SecretForm onSave={save} />
    </>
  );
}
