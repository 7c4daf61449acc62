import { useState } from "react";
import type { TokenInfo } from "../../api/types";
import { formatTime } from "../common/format";

interface TokensTableProps {
  tokens: TokenInfo[];
  now: number;
  /** Users who are disabled: their tokens are refused while that lasts. */
  disabledUsers: ReadonlySet<string>;
  onRevoke: (token: TokenInfo) => Promise<unknown>;
}

type TokenState = "revoked" | "expired" | "user-disabled" | "working";

function stateOf(token: TokenInfo, now: number, disabledUsers: ReadonlySet<string>): TokenState {
  if (token.revokedAt) return "revoked";
  if (token.expiresAt && Date.parse(token.expiresAt) <= now) return "expired";
  if (disabledUsers.has(token.user)) return "user-disabled";
  return "working";
}

function stateInWords(token: TokenInfo, state: TokenState): string {
  switch (state) {
    case "revoked":
      return `Revoked ${formatTime(token.revokedAt)}`;
    case "expired":
      return "Expired";
    case "user-disabled":
      return "Refused: user disabled";
    default:
      return "Working";
  }
}

/** Every token (never its value) with whose it is and whether it works; revoking asks for a confirmation first. */
export function TokensTable({ tokens, now, disabledUsers, onRevoke }: TokensTableProps) {
  const [confirming, setConfirming] = useState<number | null>(null);
  const [busy, setBusy] = useState<number | null>(null);
  const [error, setError] = useState<{ id: number; error: Error } | null>(null);

  const revoke = async (token: TokenInfo) => {
    setBusy(token.id);
    setError(null);
    try {
      await onRevoke(token);
      setConfirming(null);
    } catch (reason) {
      setError({ id: token.id, error: reason instanceof Error ? reason : new Error(String(reason)) });
    } finally {
      setBusy(null);
    }
  };

  if (tokens.length === 0) return <p className="notice hint">No token yet.</p>;
  return (
    <table className="admin-table" aria-label="Tokens">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">User</th>
          <th scope="col">Role</th>
          <th scope="col">Prefix</th>
          <th scope="col">Created</th>
          <th scope="col">Expires</th>
          <th scope="col">State</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {tokens.map((token) => {
          const state = stateOf(token, now, disabledUsers);
          return (
            <tr key={token.id} aria-label={`Token ${token.name} of ${token.user}`}>
              <th scope="row" data-label="Name">
                <span>{token.name}</span>
              </th>
              <td data-label="User">
                <span>{token.user}</span>
              </td>
              <td data-label="Role">
                <span>{token.role}</span>
              </td>
              <td data-label="Prefix">
                <code>{token.prefix}…</code>
              </td>
              <td data-label="Created">
                <span>{formatTime(token.createdAt)}</span>
              </td>
              <td data-label="Expires">
                <span>{token.expiresAt ? formatTime(token.expiresAt) : "never"}</span>
              </td>
              <td data-label="State">
                <span className={`state-${state}`}>
                  {stateInWords(token, state)}
                </span>
              </td>
              <td data-label="Actions">
                {state !== "revoked" && confirming !== token.id && (
                  <span>
                    <button type="button" className="danger" onClick={() => (setConfirming(token.id), setError(null))}>
                      Revoke
                    </button>
                  </span>
                )}
                {confirming === token.id && (
                  <span className="confirm" role="group" aria-label={`Revoke token ${token.name}?`}>
                    <span>Revoke “{token.name}” of {token.user}? It is refused from then on.</span>
                    <button type="button" className="danger" disabled={busy === token.id} onClick={() => void revoke(token)}>
                      {busy === token.id ? "Revoking…" : "Yes, revoke"}
                    </button>
                    <button type="button" disabled={busy === token.id} onClick={() => setConfirming(null)}>
                      Keep it
                    </button>
                  </span>
                )}
                {error?.id === token.id && (
                  <small className="field-error" role="alert">
                    {error.error.message}
                  </small>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
