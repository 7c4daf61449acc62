import type { TokenInfo } from "../../api/types";
import { formatTime } from "../common/format";
import { TokenTable, type TokenColumn } from "../common/TokenTable";

interface TokensTableProps {
  tokens: TokenInfo[];
  now: number;
  /** Users who are disabled: their tokens are refused while that lasts. */
  disabledUsers: ReadonlySet<string>;
  onRevoke: (token: TokenInfo) => Promise<unknown>;
}

const columns: TokenColumn<TokenInfo>[] = [
  { header: "User", cell: (token) => <span>{token.user}</span> },
  { header: "Role", cell: (token) => <span>{token.role}</span> },
  { header: "Prefix", cell: (token) => <code>{token.prefix}…</code> },
  { header: "Created", cell: (token) => <span>{formatTime(token.createdAt)}</span> },
  { header: "Expires", cell: (token) => <span>{token.expiresAt ? formatTime(token.expiresAt) : "never"}</span> },
];

function stateOf(token: TokenInfo, now: number, disabledUsers: ReadonlySet<string>): { key: string; words: string } {
  if (token.revokedAt) return { key: "revoked", words: `Revoked ${formatTime(token.revokedAt)}` };
  if (token.expiresAt && Date.parse(token.expiresAt) <= now) return { key: "expired", words: "Expired" };
  if (disabledUsers.has(token.user)) return { key: "user-disabled", words: "Refused: user disabled" };
  return { key: "working", words: "Working" };
}

/** Every API token (never its value) with whose it is and whether it works. */
export function TokensTable({ tokens, now, disabledUsers, onRevoke }: TokensTableProps) {
  return (
    <TokenTable
      label="Tokens"
      tokens={tokens}
      empty="No token yet."
      columns={columns}
      rowLabel={(token) => `Token ${token.name} of ${token.user}`}
      state={(token) => stateOf(token, now, disabledUsers)}
      confirmation={(token) => ({
        label: `Revoke token ${token.name}?`,
        text: `Revoke “${token.name}” of ${token.user}? It is refused from then on.`,
      })}
      onRevoke={onRevoke}
    />
  );
}
