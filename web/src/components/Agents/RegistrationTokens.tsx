import { useId, useState, type FormEvent } from "react";
import type { CreatedRegistrationToken, RegistrationToken } from "../../api/agents";
import { useAction } from "../../hooks/useAction";
import { Field, fieldErrorsOf, FormError } from "../common/Field";
import { formatTime } from "../common/format";
import { TokenTable, type TokenColumn } from "../common/TokenTable";

/** Names a new registration token; the token itself comes back once, to the panel below. */
export function NewRegistrationTokenForm({ onCreate }: { onCreate: (name: string) => Promise<unknown> }) {
  const id = useId();
  const [name, setName] = useState("");
  const { busy, error, run } = useAction();
  const errors = fieldErrorsOf(error);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await run("create", () => onCreate(name.trim()))) setName("");
  };

  return (
    <form className="admin-form" aria-label="New registration token" onSubmit={(event) => void submit(event)}>
      <Field id={`${id}-name`} label="Token name" hint="what it registers, e.g. build hosts, perf lab" errors={errors.name}>
        <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" maxLength={100} />
      </Field>
      <FormError error={error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy !== null}>
          {busy ? "Creating…" : "Create registration token"}
        </button>
      </div>
    </form>
  );
}

/**
 * The registration token just created, shown this once (the server keeps only its hash), with the command that starts
 * an agent with it. Dismissing the panel drops it from the page.
 */
export function CreatedRegistrationTokenPanel({ created, onDismiss }: { created: CreatedRegistrationToken; onDismiss: () => void }) {
  const id = useId();
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  const server = window.location.origin;

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.token);
      setCopied("yes");
    } catch {
      setCopied("failed");
    }
  };

  return (
    <section className="created-token" aria-label="Created registration token">
      <h3>Registration token “{created.name}”</h3>
      <p className="warning" role="status">
        <strong>Copy it now:</strong> this token will not be shown again. Any machine that has it can register as an agent
        and run jobs, until you revoke it.
      </p>
      <div className="token-value">
        <label htmlFor={`${id}-token`}>Token</label>
        <input id={`${id}-token`} readOnly value={created.token} onFocus={(e) => e.target.select()} spellCheck={false} />
        <button type="button" onClick={() => void copy()}>
          Copy
        </button>
        {copied && (
          <span role="status">{copied === "yes" ? "Copied to the clipboard." : "Could not copy: select the field and copy it by hand."}</span>
        )}
      </div>
      <p>Start an agent with it (on the agent&apos;s machine, or as a container: see docs/operations.md):</p>
      <pre className="agent-command">
        {`PIPELINER_AGENT_TOKEN=… pipeliner agent --server ${server} --name build-1 --labels linux,docker --capacity 2 --work-dir /var/lib/pipeliner-agent`}
      </pre>
      <button type="button" onClick={onDismiss}>
        I have copied it, hide the token
      </button>
    </section>
  );
}

const registrationColumns: TokenColumn<RegistrationToken>[] = [
  { header: "Prefix", cell: (token) => <code>{token.prefix}…</code> },
  {
    header: "Created",
    cell: (token) => (
      <span>
        {formatTime(token.createdAt)} by {token.createdBy}
      </span>
    ),
  },
];

/** Every registration token (never its value) and whether it still registers agents. */
export function RegistrationTokensTable({ tokens, onRevoke }: { tokens: RegistrationToken[]; onRevoke: (token: RegistrationToken) => Promise<unknown> }) {
  return (
    <TokenTable
      label="Registration tokens"
      tokens={tokens}
      empty="No registration token yet."
      columns={registrationColumns}
      rowLabel={(token) => `Registration token ${token.name} (${token.prefix})`}
      state={(token) =>
        token.revokedAt ? { key: "revoked", words: `Revoked ${formatTime(token.revokedAt)}` } : { key: "working", words: "Registers agents" }
      }
      confirmation={(token) => ({
        label: `Revoke registration token ${token.name}?`,
        text: `Revoke “${token.name}”? No new agent registers with it; agents registered with it keep working.`,
      })}
      onRevoke={onRevoke}
    />
  );
}
