import type { Deployment, Environment, EnvironmentRulesInput } from "../../api/types";
import { Link } from "../../routing/router";
import { paths } from "../../routing/paths";
import { formatRelative, formatTime, shortSha } from "../common/format";
import { EnvironmentRulesEditor } from "./EnvironmentRulesForm";

interface EnvironmentsTableProps {
  project: string;
  environments: Environment[];
  now: number;
  /** Whether the signed-in role meets the environment's requiredRole. */
  canDeploy: (environment: Environment) => boolean;
  /** The deployment being redeployed, while its request is under way. */
  busy: number | null;
  onRedeploy: (environment: string, deployment: Deployment) => void;
  /** Given to admins: they change the rules in place. */
  onSaveRules?: (environment: string, rules: EnvironmentRulesInput) => Promise<void>;
}

function rulesInWords(environment: Environment): string {
  const { rules } = environment;
  const parts = [`${rules.requiredRole} or above`];
  if (rules.requires.length) parts.push(`after ${rules.requires.join(", ")}`);
  if (rules.approvals > 0) parts.push(`${rules.approvals} approval${rules.approvals > 1 ? "s" : ""} by others`);
  if (rules.branches.length) parts.push(`branches ${rules.branches.join(", ")}`);
  if (rules.tags.length) parts.push(`tags ${rules.tags.join(", ")}`);
  return parts.join(" · ");
}

/** Who deployed: a person, or (nobody started it) what started the run. */
function deployedBy(deployment: Deployment): string {
  return deployment.deployedBy === null ? `automatically (${deployment.trigger})` : `by ${deployment.deployedBy}`;
}

function Deployed({ deployment, now }: { deployment: Deployment; now: number }) {
  return (
    <>
      <strong className="version">{deployment.version}</strong>
      <code title={deployment.commit}>{shortSha(deployment.commit)}</code>
      <span title={formatTime(deployment.deployedAt)}>{formatRelative(deployment.deployedAt, now)}</span>
      <span className="who">
        {deployedBy(deployment)}
        {deployment.approvedBy ? `, approved by ${deployment.approvedBy}` : ""}
      </span>
    </>
  );
}

/** Environments × what each runs now, with each one's history; earlier deployments can be deployed again (rollback). */
export function EnvironmentsTable({ project, environments, now, canDeploy, busy, onRedeploy, onSaveRules }: EnvironmentsTableProps) {
  if (environments.length === 0) {
    return <p className="notice hint">No environment yet: jobs with an environment record a deployment when they succeed.</p>;
  }
  return (
    <div className="environments">
      {environments.map((environment) => (
        <section key={environment.name} className="environment" aria-label={`Environment ${environment.name}`}>
          <header>
            <h2>{environment.name}</h2>
            <span className="rules">{rulesInWords(environment)}</span>
          </header>
          {onSaveRules && (
            <div className="rules-editor">
              <EnvironmentRulesEditor environment={environment.name} rules={environment.rules} onSave={onSaveRules} />
            </div>
          )}
          <div className="current">
            {environment.current ? (
              <Deployed deployment={environment.current} now={now} />
            ) : (
              <span className="notice hint">Nothing deployed yet.</span>
            )}
          </div>
          {environment.history.length > 0 && (
            <table className="runs-table history">
              <thead>
                <tr>
                  <th>Version</th>
                  <th>Run</th>
                  <th>Commit</th>
                  <th>When</th>
                  <th>Who</th>
                  <th>Artifacts</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {environment.history.map((deployment) => (
                  <tr key={deployment.id} className={deployment.id === environment.current?.id ? "current" : undefined}>
                    <td>{deployment.version}</td>
                    <td>
                      <Link to={paths.run({ project, number: deployment.runNumber })}>#{deployment.runNumber}</Link>
                    </td>
                    <td>
                      <code title={deployment.commit}>{shortSha(deployment.commit)}</code>
                    </td>
                    <td title={formatTime(deployment.deployedAt)}>{formatRelative(deployment.deployedAt, now)}</td>
                    <td>
                      {deployedBy(deployment)}
                      {deployment.approvedBy ? ` (approved by ${deployment.approvedBy})` : ""}
                    </td>
                    <td>
                      {deployment.artifacts.map((artifact) => (
                        <code key={`${artifact.job}/${artifact.path}`} title={artifact.sha256}>
                          {artifact.path} {artifact.sha256.slice(0, 12)}
                        </code>
                      ))}
                    </td>
                    <td>
                      {canDeploy(environment) && deployment.id !== environment.current?.id && (
                        <button type="button" onClick={() => onRedeploy(environment.name, deployment)} disabled={busy !== null}>
                          {busy === deployment.id ? "Redeploying…" : `Redeploy ${deployment.version}`}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      ))}
    </div>
  );
}
