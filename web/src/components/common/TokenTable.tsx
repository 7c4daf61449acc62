import { useState, type ReactNode } from "react";
import { useAction } from "../../hooks/useAction";

/** What every kind of token shows: never its value, only its name, its first characters and whether it was revoked. */
export interface TokenRow {
  id: number;
  name: string;
  prefix: string;
  revokedAt: string | null;
}

export interface TokenColumn<T> {
  header: string;
  cell: (token: T) => ReactNode;
}

interface TokenTableProps<T extends TokenRow> {
  /** The table's accessible name, e.g. "Tokens". */
  label: string;
  tokens: T[];
  empty: string;
  /** The columns between the name and the state (the prefix is one of them where it is wanted). */
  columns: TokenColumn<T>[];
  rowLabel: (token: T) => string;
  /** The state's CSS key (`state-…`) and words; only a token that is not revoked can be revoked. */
  state: (token: T) => { key: string; words: string };
  /** The question and what revoking does, e.g. "Revoke “ci” of anna? It is refused from then on." */
  confirmation: (token: T) => { label: string; text: string };
  onRevoke: (token: T) => Promise<unknown>;
}

/**
 * A table of tokens — API tokens of users, registration tokens of agents — with whose they are and whether they work;
 * revoking asks for a confirmation first, and a refusal is shown on the token's row.
 */
export function TokenTable<T extends TokenRow>({ label, tokens, empty, columns, rowLabel, state, confirmation, onRevoke }: TokenTableProps<T>) {
  const [confirming, setConfirming] = useState<number | null>(null);
  const [failed, setFailed] = useState<number | null>(null);
  const { busy, error, run } = useAction();

  const revoke = async (token: T) => {
    setFailed(null);
    if (await run(`revoke-${token.id}`, () => onRevoke(token))) setConfirming(null);
    else setFailed(token.id);
  };

  if (tokens.length === 0) return <p className="notice hint">{empty}</p>;
  return (
    <table className="admin-table" aria-label={label}>
      <thead>
        <tr>
          <th scope="col">Name</th>
          {columns.map((column) => (
            <th key={column.header} scope="col">
              {column.header}
            </th>
          ))}
          <th scope="col">State</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {tokens.map((token) => {
          const { key, words } = state(token);
          const asked = confirmation(token);
          const revoking = busy === `revoke-${token.id}`;
          return (
            <tr key={token.id} aria-label={rowLabel(token)}>
              <th scope="row" data-label="Name">
                <span>{token.name}</span>
              </th>
              {columns.map((column) => (
                <td key={column.header} data-label={column.header}>
                  {column.cell(token)}
                </td>
              ))}
              <td data-label="State">
                <span className={`state-${key}`}>{words}</span>
              </td>
              <td data-label="Actions">
                {!token.revokedAt && confirming !== token.id && (
                  <span>
                    <button type="button" className="danger" onClick={() => (setConfirming(token.id), setFailed(null))}>
                      Revoke
                    </button>
                  </span>
                )}
                {confirming === token.id && (
                  <span className="confirm" role="group" aria-label={asked.label}>
                    <span>{asked.text}</span>
                    <button type="button" className="danger" disabled={busy !== null} onClick={() => void revoke(token)}>
                      {revoking ? "Revoking…" : "Yes, revoke"}
                    </button>
                    <button type="button" disabled={busy !== null} onClick={() => setConfirming(null)}>
                      Keep it
                    </button>
                  </span>
                )}
                {failed === token.id && error && (
                  <small className="field-error" role="alert">
                    {error.message}
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
