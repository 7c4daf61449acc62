import { useId } from "react";
import type { RepositoryCredentialsInput } from "../../api/types";
import { Field } from "../common/Field";

export type CredentialsChoice =
  | { kind: "keep" }
  | { kind: "remove" }
  | { kind: "password"; username: string; password: string }
  | { kind: "ssh"; sshPrivateKey: string; sshPassphrase: string; knownHosts: string };

/** What the API is sent: nothing to keep them, {} to remove them, or the new ones (they replace the old as a whole). */
export function credentialsInput(choice: CredentialsChoice): RepositoryCredentialsInput | undefined {
  switch (choice.kind) {
    case "keep":
      return undefined;
    case "remove":
      return {};
    case "password":
      return { username: choice.username, password: choice.password };
    case "ssh":
      return { sshPrivateKey: choice.sshPrivateKey, sshPassphrase: choice.sshPassphrase || undefined, knownHosts: choice.knownHosts || undefined };
  }
}

interface CredentialsFieldsProps {
  /** The kind stored now (never the values); null: none. */
  stored: string | null;
  choice: CredentialsChoice;
  onChange: (choice: CredentialsChoice) => void;
  errors: Record<string, string[]>;
}

/** How the server signs in to clone: a user name and password or token (HTTPS), or an SSH key. Write-only. */
export function CredentialsFields({ stored, choice, onChange, errors }: CredentialsFieldsProps) {
  const id = useId();
  const keepLabel = stored ? `Keep the stored ${stored === "ssh" ? "SSH key" : "user name and password"}` : "None (a public repository)";
  const pick = (kind: CredentialsChoice["kind"]) => {
    if (kind === "password") onChange({ kind, username: "", password: "" });
    else if (kind === "ssh") onChange({ kind, sshPrivateKey: "", sshPassphrase: "", knownHosts: "" });
    else onChange({ kind });
  };
  const error = (field: string) => errors[`credentials.${field}`] ?? errors[`Credentials.${field}`];
  return (
    <fieldset className="credentials wide">
      <legend>Clone credentials</legend>
      <Field id={`${id}-kind`} label="Credentials" hint="stored encrypted, never shown again, used only by the server to fetch" errors={errors.credentials}>
        <select id={`${id}-kind`} value={choice.kind} onChange={(e) => pick(e.target.value as CredentialsChoice["kind"])}>
          <option value="keep">{keepLabel}</option>
          {stored && <option value="remove">Remove them</option>}
          <option value="password">User name and password or token (HTTPS)</option>
          <option value="ssh">SSH key</option>
        </select>
      </Field>
      {choice.kind === "password" && (
        <>
          <Field id={`${id}-username`} label="User name" errors={error("username")}>
            <input id={`${id}-username`} value={choice.username} onChange={(e) => onChange({ ...choice, username: e.target.value })} autoComplete="off" />
          </Field>
          <Field id={`${id}-password`} label="Password or token" errors={error("password")}>
            <input
              id={`${id}-password`}
              type="password"
              value={choice.password}
              onChange={(e) => onChange({ ...choice, password: e.target.value })}
              autoComplete="new-password"
            />
          </Field>
        </>
      )}
      {choice.kind === "ssh" && (
        <>
          <Field id={`${id}-key`} label="Private key" hint="OpenSSH or PEM text" errors={error("sshPrivateKey")}>
            <textarea
              id={`${id}-key`}
              rows={4}
              value={choice.sshPrivateKey}
              onChange={(e) => onChange({ ...choice, sshPrivateKey: e.target.value })}
              spellCheck={false}
            />
          </Field>
          <Field id={`${id}-passphrase`} label="Key passphrase" hint="if the key has one" errors={error("sshPassphrase")}>
            <input
              id={`${id}-passphrase`}
              type="password"
              value={choice.sshPassphrase}
              onChange={(e) => onChange({ ...choice, sshPassphrase: e.target.value })}
              autoComplete="new-password"
            />
          </Field>
          <Field id={`${id}-known`} label="Known hosts" hint="ssh-keyscan -p PORT HOST lines; check them against the server's fingerprint" errors={error("knownHosts")}>
            <textarea id={`${id}-known`} rows={3} value={choice.knownHosts} onChange={(e) => onChange({ ...choice, knownHosts: e.target.value })} spellCheck={false} />
          </Field>
        </>
      )}
    </fieldset>
  );
}
