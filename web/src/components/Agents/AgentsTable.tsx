import { useState } from "react";
import type { Agent } from "../../api/agents";
import { Link } from "../../routing/router";
import { paths } from "../../routing/paths";
import { formatRelative, formatTime } from "../common/format";

interface AgentsTableProps {
  agents: Agent[];
  now: number;
  /** Admins disable, enable and delete agents; others only read. */
  canManage: boolean;
  onSetDisabled: (agent: Agent, disabled: boolean) => Promise<unknown>;
  onDelete: (agent: Agent) => Promise<unknown>;
}

const statusWords: Record<Agent["status"], string> = {
  online: "Online",
  offline: "Offline",
  disabled: "Disabled",
};

/** Every agent: status, labels, capacity (used of total), running jobs (links to their logs), last seen; admin actions. */
export function AgentsTable({ agents, now, canManage, onSetDisabled, onDelete }: AgentsTableProps) {
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<{ name: string; error: Error } | null>(null);

  const act = async (agent: Agent, action: () => Promise<unknown>) => {
    setBusy(agent.name);
    setError(null);
    try {
      await action();
      setConfirming(null);
    } catch (reason) {
      setError({ name: agent.name, error: reason instanceof Error ? reason : new Error(String(reason)) });
    } finally {
      setBusy(null);
    }
  };

  if (agents.length === 0) return <p className="notice hint">No agent yet: create a registration token below and start one.</p>;
  return (
    <table className="admin-table agents-table" aria-label="Agents">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Status</th>
          <th scope="col">Labels</th>
          <th scope="col">Capacity</th>
          <th scope="col">Running jobs</th>
          <th scope="col">Last seen</th>
          {canManage && <th scope="col">Actions</th>}
        </tr>
      </thead>
      <tbody>
        {agents.map((agent) => (
          <tr key={agent.name} aria-label={`Agent ${agent.name}`}>
            <th scope="row" data-label="Name">
              <span>{agent.name}</span>
              {agent.version && <small className="hint"> v{agent.version}</small>}
            </th>
            <td data-label="Status">
              <span className={`agent-status state-${agent.status}`}>{statusWords[agent.status] ?? agent.status}</span>
            </td>
            <td data-label="Labels">
              <span className="agent-labels">
                {agent.labels.length === 0 ? "—" : agent.labels.map((label) => <code key={label}>{label}</code>)}
              </span>
            </td>
            <td data-label="Capacity">
              <span title={`${agent.runningJobs.length} of ${agent.capacity} slots in use`}>
                {agent.runningJobs.length} / {agent.capacity}
              </span>
            </td>
            <td data-label="Running jobs">
              {agent.runningJobs.length === 0 ? (
                <span className="hint">idle</span>
              ) : (
                <ul className="agent-jobs">
                  {agent.runningJobs.map((job) => (
                    <li key={`${job.runId}/${job.job}/${job.attempt}`}>
                      <Link to={paths.jobByRunId(job.runId, job.job, job.attempt)}>
                        #{job.runId} {job.job}
                      </Link>
                      {job.attempt > 1 && <small className="hint"> attempt {job.attempt}</small>}
                    </li>
                  ))}
                </ul>
              )}
            </td>
            <td data-label="Last seen">
              <span title={formatTime(agent.lastSeenAt)}>{formatRelative(agent.lastSeenAt, now)}</span>
            </td>
            {canManage && (
              <td data-label="Actions">
                {confirming !== agent.name && (
                  <span className="confirm">
                    <button
                      type="button"
                      disabled={busy === agent.name}
                      onClick={() => void act(agent, () => onSetDisabled(agent, agent.status !== "disabled"))}
                    >
                      {agent.status === "disabled" ? `Enable ${agent.name}` : `Disable ${agent.name}`}
                    </button>
                    <button type="button" className="danger" onClick={() => (setConfirming(agent.name), setError(null))}>
                      Delete {agent.name}
                    </button>
                  </span>
                )}
                {confirming === agent.name && (
                  <span className="confirm" role="group" aria-label={`Delete agent ${agent.name}?`}>
                    <span>
                      Delete “{agent.name}”? Its credential stops working
                      {agent.runningJobs.length > 0 ? "; its running jobs are lost when their leases end and run again elsewhere" : ""}.
                    </span>
                    <button type="button" className="danger" disabled={busy === agent.name} onClick={() => void act(agent, () => onDelete(agent))}>
                      {busy === agent.name ? "Deleting…" : "Yes, delete"}
                    </button>
                    <button type="button" disabled={busy === agent.name} onClick={() => setConfirming(null)}>
                      Keep it
                    </button>
                  </span>
                )}
                {error?.name === agent.name && (
                  <small className="field-error" role="alert">
                    {error.error.message}
                  </small>
                )}
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
