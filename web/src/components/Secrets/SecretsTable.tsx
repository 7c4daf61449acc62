import { useState } from "react";
import type { SecretInfo } from "../../api/types";
import { formatRelative, formatTime } from "../common/format";
import { SecretForm } from "./SecretForm";

interface SecretsTableProps {
  secrets: SecretInfo[];
  now: number;
  onReplace: (name: string, value: string, environment: string | null) => Promise<void>;
  onDelete: (secret: SecretInfo) => void;
  busy: string | null;
}

export const secretKey = (secret: { name: string; environment: string | null }) => `${secret.name}@${secret.environment ?? ""}`;

/** A project's secrets by name and scope (values never leave the server), each replaceable and deletable. */
export function SecretsTable({ secrets, now, onReplace, onDelete, busy }: SecretsTableProps) {
  const [replacing, setReplacing] = useState<string | null>(null);
  if (secrets.length === 0) return <p className="notice">No secret yet. Jobs get only the secrets their <code>secrets:</code> lists.</p>;
  return (
    <table className="admin-table secrets-table">
      <thead>
        <tr>
          <th>Name</th>
          <th>Scope</th>
          <th>Updated</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {secrets.map((secret) => {
          const key = secretKey(secret);
          const scope = secret.environment ? `environment ${secret.environment}` : "every job";
          return (
            <tr key={key} aria-label={`Secret ${secret.name}, ${scope}`}>
              <td>
                <code>{secret.name}</code>
              </td>
              <td>{scope}</td>
              <td title={formatTime(secret.updatedAt)}>{formatRelative(secret.updatedAt, now)}</td>
              <td>
                {replacing === key ? (
                  <SecretForm
                    replacing={secret}
                    onSave={(name, value, environment) => onReplace(name, value, environment)}
                    onClose={() => setReplacing(null)}
                  />
                ) : (
                  <span className="row-actions">
                    <button type="button" onClick={() => setReplacing(key)}>
                      Replace
                    </button>
                    <button type="button" className="danger" disabled={busy === key} onClick={() => onDelete(secret)}>
                      {busy === key ? "Deleting…" : "Delete"}
                    </button>
                  </span>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
