import { api } from "../api/client";
import type { Environment, EnvironmentRulesInput } from "../api/types";
import { ErrorNotice, Loading } from "../components/common/Notice";
import { defaultRules, EnvironmentRulesEditor } from "../components/Environments/EnvironmentRulesForm";
import { EnvironmentsTable } from "../components/Environments/EnvironmentsTable";
import { AppShell } from "../components/Layout/AppShell";
import { ProjectTabs } from "../components/Layout/ProjectTabs";
import { useSession } from "../hooks/session";
import { useAction } from "../hooks/useAction";
import { useAsync } from "../hooks/useAsync";
import { useNow } from "../hooks/useNow";
import { usePolling } from "../hooks/usePolling";
import { paths } from "../routing/paths";

/** A project's environments: what each runs now (version, commit, when, who), their history, and rollback. */
export function EnvironmentsPage({ project }: { project: string }) {
  const environments = useAsync(() => api.environments(project), [project]);
  const session = useSession();
  const action = useAction();
  usePolling(true, environments.reload);
  const now = useNow(true);
  const canDeploy = (environment: Environment) => session.can(environment.rules.requiredRole);
  const canEditRules = session.can("admin");
  const saveRules = async (environment: string, rules: EnvironmentRulesInput) => {
    await api.setEnvironmentRules(project, environment, rules);
    environments.reload();
  };

  return (
    <AppShell
      crumbs={[
        { label: "Projects", to: paths.projects() },
        { label: project, to: paths.projectRuns(project) },
        { label: "Environments" },
      ]}
    >
      <h1>Environments of {project}</h1>
      <ProjectTabs project={project} current="environments" />
      {action.error && <ErrorNotice error={action.error} />}
      {environments.error && <ErrorNotice error={environments.error} />}
      {!environments.data && !environments.error && <Loading what="Loading environments" />}
      {environments.data && (
        <EnvironmentsTable
          project={project}
          environments={environments.data}
          now={now}
          canDeploy={canDeploy}
          busy={action.busy ? Number(action.busy) : null}
          onRedeploy={(environment, deployment) =>
            void action
              .run(String(deployment.id), () => api.redeploy(project, environment, deployment.id))
              .then((ok) => ok && environments.reload())
          }
          onSaveRules={canEditRules ? saveRules : undefined}
        />
      )}
      {environments.data && canEditRules && (
        <div className="rules-editor">
          <EnvironmentRulesEditor label="Set the rules of another environment" rules={defaultRules} onSave={saveRules} />
        </div>
      )}
    </AppShell>
  );
}
